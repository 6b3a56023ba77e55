@q4 @quarterly @destructive
Feature: Q4 drill: complete server failure (plan scenario 4, row "Complete server failure")
  The primary server is gone with its disks and the backups that lived beside
  it. The team follows the plan's scenario 4 as it is written today, read
  from the plan: on a backup server from a clean image it clones the
  repository, restores from the cloud repository, installs the release,
  restores the environment, reconciles with the broker, starts in safe
  (paper) mode, verifies, and switches to live. Where a step fails as
  written, the drill records the finding and continues with the corrected
  step.

  Background: steady state before the incident
    Given a traderunner deployment trading in live mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Complete server failure" row of the DR plan

  Scenario: the primary server is lost and the backup server takes over
    When the primary server is lost with its disks and local backups
    Then the failure shows: the health check goes red
    When the operator fails over to the backup server
    And that carries out step 4 of scenario 4 in the plan, "Restore environment variables"
    And the operator runs step 1 of scenario 4 in the plan, "On backup server, clone repository"
    And where that step failed, the operator runs the corrected step "create the folder, then clone", written for plan commands 56286cfa:
      """
      # a clean server has no /opt/trading yet
      mkdir -p /opt/trading && cd /opt/trading
      git clone https://github.com/CyberForge275/traderunner.git
      cd traderunner
      """
    And the operator runs step 2 of scenario 4 in the plan, "Restore data from cloud backup", expecting:
      """
      test -f artifacts/state/positions.json && test -d artifacts/data_m5
      """
    And where that step failed, the operator runs the corrected step "restore the newest data and state snapshots from the cloud", written for plan commands e88ee222:
      """
      # restic restores under the full path, and "latest" is one snapshot: restore the newest of each tag
      rm -rf /tmp/restore
      restic -r s3:s3.amazonaws.com/traderunner-backup restore latest --tag data --target /tmp/restore
      restic -r s3:s3.amazonaws.com/traderunner-backup restore latest --tag state --target /tmp/restore
      cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/. /opt/trading/traderunner/
      """
    And the operator runs step 3 of scenario 4 in the plan, "Install dependencies"
    Then the RPO is measured from the restored state in "/opt/trading/traderunner/artifacts/state"
    When the operator logs into the broker and notes the positions and pending orders
    And the operator runs "reconcile with the broker":
      """
      make reconcile
      """
    And that carries out step 5 of scenario 4 in the plan, "Reconcile with broker"
    And the operator runs step 6 of scenario 4 in the plan, "Start in safe mode (manual approval required)"
    And the traderunner is healthy in paper mode
    And the operator runs "verify in paper mode":
      """
      make health-check
      make verify:positions
      """
    And the operator approves the switch to live
    And the operator runs step 7 of scenario 4 in the plan, "Once verified, switch to live"
    And where that step failed, the operator runs the corrected step "stop paper mode, then start live", written for plan commands e078212e:
      """
      # the traderunner will not start twice: stop paper mode first
      make stop
      TR_MODE=live make start
      """
    And the traderunner is healthy in live mode
    Then the recovery is verified by "make verify:positions && make health-check | grep 'Mode: LIVE'"
    And the positions match the broker's
    And the RTO and RPO are within the plan's targets
