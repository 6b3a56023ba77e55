@smoke
Feature: Steady state of the drilled deployment
  Before any drill breaks something, the deployment must be in the state the
  plan assumes: the traderunner healthy, the broker answering, backups in MinIO.

  Scenario: the stack reaches steady state in paper mode
    Given a traderunner deployment trading in paper mode against the mock broker
    Then the health check shows "Mode: PAPER"
    And the broker answers its health check with {"ok": true}
    And MinIO holds the backup buckets
    And its state and data backups have reached MinIO
    And MinIO holds at least 2 restic snapshots
