@q4 @quarterly @destructive
Feature: Q4 drill: complete server failure (plan scenario 4, row "Complete server failure")
  The primary server is gone with its disks and the backups that lived beside
  it. The team brings up the backup server from a clean image, clones the
  repository, restores from the cloud repository, installs the release,
  restores the environment, reconciles with the broker, starts in paper mode,
  verifies, and switches to live.

  Background: steady state before the incident
    Given a traderunner deployment trading in live mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Complete server failure" row of the DR plan

  Scenario: the primary server is lost and the backup server takes over
    When the primary server is lost with its disks and local backups
    Then the failure shows: the health check goes red
    When the operator fails over to the backup server
    And the operator runs the plan's step "clone the repository":
      """
      mkdir -p /opt/trading && cd /opt/trading
      git clone git://gitremote/traderunner.git
      """
    And the operator runs the plan's step "restore data from the cloud backup":
      """
      cd /opt/trading/traderunner
      restic -r "$TR_CLOUD_REPOSITORY" snapshots
      restic -r "$TR_CLOUD_REPOSITORY" restore latest --target .
      # what the plan expects to find after it:
      test -f artifacts/state/positions.json && test -d artifacts/data_m5
      """
    And where that step failed, the operator runs the corrected step "restore the newest data and state snapshots from the cloud":
      """
      rm -rf /tmp/restore
      restic -r "$TR_CLOUD_REPOSITORY" restore latest --tag data --target /tmp/restore
      restic -r "$TR_CLOUD_REPOSITORY" restore latest --tag state --target /tmp/restore
      cp -a /tmp/restore/opt/trading/traderunner/. /opt/trading/traderunner/
      """
    When the operator installs the dependencies
    Then the RPO is measured from the restored state in "/opt/trading/traderunner/artifacts/state"
    When the operator logs into the broker and notes the positions and pending orders
    And the operator runs "reconcile with the broker":
      """
      make reconcile
      """
    And the operator starts the traderunner in paper mode
    And the operator runs "verify in paper mode":
      """
      make health-check
      make verify:positions
      """
    And the operator approves the switch to live
    And the operator runs "stop paper mode":
      """
      make stop
      """
    And the operator starts the traderunner in live mode
    Then the positions match the broker's
    And the recovery is verified by "make verify:positions && make health-check | grep 'Mode: LIVE'"
    And the RTO and RPO are within the plan's targets
