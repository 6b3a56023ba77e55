@q1 @quarterly @destructive
Feature: Q1 drill: data corruption (plan scenario 2, row "Data corruption")
  Market data under artifacts/ is lost or damaged while the traderunner trades.
  The team finds the damage with the data SLAs, recovers the data the way the
  plan says, and proves the SLAs pass again. The plan restores with restic
  under the full path and copies from /tmp/restore/data: where that fails as
  written, the drill records the finding and continues with the corrected step.
  A data snapshot taken after the fault holds the damage, so the restore takes
  the newest snapshot whose data passes the plan's own check.

  Background: steady state before the incident
    Given a traderunner deployment trading in paper mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Data corruption" row of the DR plan

  Scenario Outline: the M5 bars are deleted and recovered by option <option>
    When the "artifacts/data_m5" directory is deleted
    Then the failure shows: "make data:validate" fails
    When the operator runs the plan's step "<plan step>":
      """
      <as written>
      """
    And where that step failed, the operator runs the corrected step "<corrected step>":
      """
      <corrected>
      """
    Then the RPO is measured from the restored data in "<recovered data>"
    And the recovery is verified by "make data:validate"
    And the RTO and RPO are within the plan's targets

    Examples:
      | option | plan step                           | as written                                                                                                                                                    | corrected step                          | corrected                                                                                                                                                                                                       | recovered data                                          |
      | A | restore from backup (option A) | restic -r "$RESTIC_REPOSITORY" restore latest --target /tmp/restore --path /opt/trading/traderunner/data && cp -r /tmp/restore/data/* data/ | restore artifacts/data_m5 from the newest data snapshot that validates | for id in $(restic -r "$RESTIC_REPOSITORY" snapshots --tag data --compact \| grep -oE '^[0-9a-f]{8}' \| tac); do rm -rf /tmp/restore; restic -r "$RESTIC_REPOSITORY" restore "$id" --target /tmp/restore --include /opt/trading/traderunner/artifacts/data_m5 \|\| continue; test -d /tmp/restore/opt/trading/traderunner/artifacts/data_m5 \|\| continue; rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/opt/trading/traderunner/artifacts/data_m5 artifacts/data_m5.restored; rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5; make data:validate && break; echo "snapshot $id does not pass make data:validate: trying the one before"; done | /tmp/restore/opt/trading/traderunner/artifacts/data_m5 |
      | B      | re-fetch from source (option B)     | make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31                                                                                                     | re-fetch everything the broker has      | make data:fetch START_DATE=2024-01-01 END_DATE=2030-12-31                                                                                                                                                       | artifacts/data_m5                                       |

  Scenario: a truncated M5 file is restored from the latest backup
    When "artifacts/data_m5/AAPL.parquet" is truncated to 1000 bytes
    Then the failure shows: "make data:validate" fails
    When the operator runs "restore artifacts/data_m5 from the newest data snapshot that validates":
      """
      # newest data snapshot first; one taken after the fault holds the damage,
      # so the newest whose data passes the plan's own check is the one to keep
      for id in $(restic -r "$RESTIC_REPOSITORY" snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
        rm -rf /tmp/restore
        restic -r "$RESTIC_REPOSITORY" restore "$id" --target /tmp/restore --include /opt/trading/traderunner/artifacts/data_m5 || continue
        test -d /tmp/restore/opt/trading/traderunner/artifacts/data_m5 || continue
        # the folder goes back whole (copy beside it, then rename), so the running ingest never sees half of it
        rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/opt/trading/traderunner/artifacts/data_m5 artifacts/data_m5.restored
        rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
        make data:validate && break
        echo "snapshot $id does not pass make data:validate: trying the one before"
      done
      """
    Then the RPO is measured from the restored data in "/tmp/restore/opt/trading/traderunner/artifacts/data_m5"
    And the recovery is verified by "make data:validate"
    And the RTO and RPO are within the plan's targets

  Scenario: a bit-flipped M5 file is restored from the latest backup
    When one bit in "artifacts/data_m5/MSFT.parquet" is flipped
    Then the failure shows: "make data:validate" fails
    When the operator runs "restore artifacts/data_m5 from the newest data snapshot that validates":
      """
      # newest data snapshot first; one taken after the fault holds the damage,
      # so the newest whose data passes the plan's own check is the one to keep
      for id in $(restic -r "$RESTIC_REPOSITORY" snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
        rm -rf /tmp/restore
        restic -r "$RESTIC_REPOSITORY" restore "$id" --target /tmp/restore --include /opt/trading/traderunner/artifacts/data_m5 || continue
        test -d /tmp/restore/opt/trading/traderunner/artifacts/data_m5 || continue
        # the folder goes back whole (copy beside it, then rename), so the running ingest never sees half of it
        rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/opt/trading/traderunner/artifacts/data_m5 artifacts/data_m5.restored
        rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
        make data:validate && break
        echo "snapshot $id does not pass make data:validate: trying the one before"
      done
      """
    Then the RPO is measured from the restored data in "/tmp/restore/opt/trading/traderunner/artifacts/data_m5"
    And the recovery is verified by "make data:validate"
    And the RTO and RPO are within the plan's targets
