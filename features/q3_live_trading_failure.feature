@q3 @quarterly @destructive
Feature: Q3 drill: live trading failure (plan scenario 3, row "Live system failure")
  The live trading process dies while orders are in flight. The broker keeps
  filling what was already sent. The team checks the broker, restores the
  newest state snapshot, reconciles with the broker (the broker is the truth),
  starts in paper mode, verifies the positions, and goes live again.

  Background: steady state before the incident
    Given a traderunner deployment trading in live mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Live system failure" row of the DR plan

  Scenario: the live trading process is killed mid-trading
    When the live trading process is killed with SIGKILL while orders are in flight
    Then the failure shows: the health check goes red
    When the operator logs into the broker and notes the positions and pending orders
    And the operator runs the plan's step "restore latest state":
      """
      restic -r "$RESTIC_REPOSITORY" snapshots
      restic -r "$RESTIC_REPOSITORY" restore latest --target /tmp/restore --path artifacts/state
      """
    And where that step failed, the operator runs the corrected step "restore the newest state snapshot":
      """
      rm -rf /tmp/restore
      restic -r "$RESTIC_REPOSITORY" restore latest --tag state --target /tmp/restore
      """
    Then the RPO is measured from the restored state in "/tmp/restore/opt/trading/traderunner/artifacts/state"
    When the operator runs "put the restored state in place and reconcile with the broker":
      """
      cp -a /tmp/restore/opt/trading/traderunner/artifacts/state/. artifacts/state/
      make reconcile
      """
    And the operator starts the traderunner in paper mode
    And the operator runs "verify positions in paper mode":
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
