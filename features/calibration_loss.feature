@calibration @loss
Feature: Calibration: firedrill measures the data a recovery lost
  Run only against systems/calibration-loss.yml, whose crash follows a
  state backup by a known few seconds and logs what a restore of that backup
  must lose, by the container's clock and the broker's own record: the
  measured RPO must be that age within 100 ms, and the lost fills the
  broker's.

  Scenario: a loss of known age
    Given a traderunner deployment trading in paper mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Live system failure" row of the DR plan
    When the trading process fails the way the system describes
    Then the failure shows: the health check goes red
    When the operator runs "restore the newest state snapshot":
      """
      rm -rf /tmp/restore
      restic -r "$RESTIC_REPOSITORY" restore latest --tag state --target /tmp/restore
      """
    Then the RPO is measured from the restored state in "/tmp/restore/opt/trading/traderunner/artifacts/state"
    And the recovery is verified by "test -s /tmp/restore/opt/trading/traderunner/artifacts/state/positions.json"
    When the operator runs "wait until the calibration system has logged the broker's fills":
      """
      for i in $(seq 100); do grep -q 'firedrill-calibration: broker fills' artifacts/logs/traderunner.log && exit 0; sleep 0.1; done; exit 1
      """
