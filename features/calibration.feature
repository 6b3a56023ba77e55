@calibration
Feature: Calibration: firedrill measures the recovery time that happened
  Run only against systems/calibration.yml, whose outage lasts a known 3
  seconds and logs its own start and end by the container's clock: the
  measured RTO must be that true length within the stated precision (the
  probe interval plus the final check's own duration), whether the recovery
  is verified over HTTP or by a command run in the container, as every
  Q1-Q4 recovery is.

  Background:
    Given a traderunner deployment trading in paper mode against the mock broker
    And the drill measures the "Live system failure" row of the DR plan

  Scenario: an outage of known length, verified by the health endpoint
    When the trading process fails the way the system describes
    Then the failure shows: the health check goes red
    And the recovery is verified by the health check
    And the RTO is within the plan's target

  Scenario: an outage of known length, verified by a command
    When the trading process fails the way the system describes
    Then the failure shows: the health check goes red
    And the recovery is verified by "make health-check"
    And the RTO is within the plan's target
