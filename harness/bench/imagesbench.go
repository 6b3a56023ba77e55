package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"firedrill/harness/images"
)

// ImagesResult is what building the images took.
type ImagesResult struct {
	// Warm is `make images` with nothing to build, per run.
	Warm []time.Duration
	// Cold is, per run, each image's build from nothing (nil unless asked).
	Cold []map[string]time.Duration
	// ColdTotal is each cold run from start to end.
	ColdTotal []time.Duration
}

func (b *bench) measureImages(ctx context.Context) error {
	res := &ImagesResult{}
	b.rep.Images = res
	log, err := os.Create(filepath.Join(b.o.Work, "images.log"))
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	defer log.Close()
	if b.o.Cold {
		for i := range b.o.Runs {
			b.logf("images: cold build %d/%d (removes firedrill's own images, then builds each)", i+1, b.o.Runs)
			start := time.Now()
			outs, err := images.Ensure(ctx, images.Options{Root: b.o.Root, Samples: b.o.Samples, Cold: true, Log: log})
			if err != nil {
				return err
			}
			per := map[string]time.Duration{}
			for _, o := range outs {
				per[o.Image] = o.Elapsed
			}
			res.Cold = append(res.Cold, per)
			res.ColdTotal = append(res.ColdTotal, time.Since(start))
		}
	}
	// Warm after cold, so the warm runs find every image built.
	for i := range b.o.Runs {
		start, end, err := timed(ctx, log, b.o.Root, nil, "make", "--no-print-directory", "images")
		if err != nil {
			return err
		}
		res.Warm = append(res.Warm, end.Sub(start))
		b.logf("images: make images, nothing to build %d/%d: %.2f s", i+1, b.o.Runs, end.Sub(start).Seconds())
	}
	return nil
}
