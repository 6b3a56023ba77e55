@q1 @quarterly @destructive
Feature: Q1 drill: data corruption (plan scenario 2, row "Data corruption")
  Market data under artifacts/ is lost or damaged while the traderunner trades.
  The team finds the damage the way the plan's scenario 2 says, recovers the
  data by its option A or B, and proves the data SLAs pass again. Each plan
  step runs as the plan writes it today, read from the plan; where a step
  fails as written, the drill records the finding and continues with the
  corrected step, written in the plan's own words. A data snapshot taken
  after the fault holds the damage, so the corrected restore takes the newest
  snapshot whose data passes the plan's own check.

  Background: steady state before the incident
    Given a traderunner deployment trading in paper mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Data corruption" row of the DR plan

  Scenario: the M5 bars are deleted and recovered by option A
    When the "artifacts/data_m5" directory is deleted
    Then the failure shows: step 1 of scenario 2 in the plan, "Identify corrupted files", fails
    When the operator runs step 2 of scenario 2 in the plan, "Option A: Restore from backup"
    And where that step failed, the operator runs the corrected step "restore artifacts/data_m5 from the newest data snapshot that validates", written for plan commands 261541a3:
      """
      # restic restores under the full path, and a snapshot taken after the fault holds the damage:
      # take the newest data snapshot whose data passes make data:validate
      for id in $(restic -r /backup/traderunner snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
        rm -rf /tmp/restore
        restic -r /backup/traderunner restore "$id" --target /tmp/restore --include /home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        test -d /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        # the folder goes back whole (copied beside it, then renamed), so the running ingest never sees half of it
        rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 artifacts/data_m5.restored
        rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
        make data:validate && break
        echo "snapshot $id does not pass make data:validate: trying the one before"
      done
      """
    Then the RPO is measured from the restored data in "/tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5"
    And the recovery is verified by step 4 of scenario 2 in the plan, "Verify"
    And the RTO and RPO are within the plan's targets

  Scenario: the M5 bars are deleted and recovered by option B
    When the "artifacts/data_m5" directory is deleted
    Then the failure shows: step 1 of scenario 2 in the plan, "Identify corrupted files", fails
    When the operator runs step 3 of scenario 2 in the plan, "Option B: Re-fetch from source"
    And where that step failed, the operator runs the corrected step "re-fetch everything the broker has", written for plan commands 38acd40e:
      """
      # the plan's dates end in 2024: fetch up to today
      make data:fetch START_DATE=2024-01-01 END_DATE=2030-12-31
      """
    Then the RPO is measured from the restored data in "artifacts/data_m5"
    And the recovery is verified by step 4 of scenario 2 in the plan, "Verify"
    And the RTO and RPO are within the plan's targets

  Scenario: a truncated M5 file is restored from the latest backup
    When "artifacts/data_m5/AAPL.parquet" is truncated to 1000 bytes
    Then the failure shows: step 1 of scenario 2 in the plan, "Identify corrupted files", fails
    When the operator runs step 2 of scenario 2 in the plan, "Option A: Restore from backup"
    And where that step failed, the operator runs the corrected step "restore artifacts/data_m5 from the newest data snapshot that validates", written for plan commands 261541a3:
      """
      # restic restores under the full path, and a snapshot taken after the fault holds the damage:
      # take the newest data snapshot whose data passes make data:validate
      for id in $(restic -r /backup/traderunner snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
        rm -rf /tmp/restore
        restic -r /backup/traderunner restore "$id" --target /tmp/restore --include /home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        test -d /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        # the folder goes back whole (copied beside it, then renamed), so the running ingest never sees half of it
        rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 artifacts/data_m5.restored
        rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
        make data:validate && break
        echo "snapshot $id does not pass make data:validate: trying the one before"
      done
      """
    Then the RPO is measured from the restored data in "/tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5"
    And the recovery is verified by step 4 of scenario 2 in the plan, "Verify"
    And the RTO and RPO are within the plan's targets

  Scenario: a bit-flipped M5 file is restored from the latest backup
    When one bit in "artifacts/data_m5/MSFT.parquet" is flipped
    Then the failure shows: step 1 of scenario 2 in the plan, "Identify corrupted files", fails
    When the operator runs step 2 of scenario 2 in the plan, "Option A: Restore from backup"
    And where that step failed, the operator runs the corrected step "restore artifacts/data_m5 from the newest data snapshot that validates", written for plan commands 261541a3:
      """
      # restic restores under the full path, and a snapshot taken after the fault holds the damage:
      # take the newest data snapshot whose data passes make data:validate
      for id in $(restic -r /backup/traderunner snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
        rm -rf /tmp/restore
        restic -r /backup/traderunner restore "$id" --target /tmp/restore --include /home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        test -d /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 || continue
        # the folder goes back whole (copied beside it, then renamed), so the running ingest never sees half of it
        rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 artifacts/data_m5.restored
        rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
        make data:validate && break
        echo "snapshot $id does not pass make data:validate: trying the one before"
      done
      """
    Then the RPO is measured from the restored data in "/tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5"
    And the recovery is verified by step 4 of scenario 2 in the plan, "Verify"
    And the RTO and RPO are within the plan's targets
