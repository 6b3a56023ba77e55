@calibration
Feature: Calibration: firedrill measures the recovery time that happened
  Run only against systems/calibration.yml, whose outage lasts a known 3
  seconds: the measured RTO must be 3 s within one probe interval.

  Scenario: an outage of known length
    Given a traderunner deployment trading in paper mode against the mock broker
    And the drill measures the "Live system failure" row of the DR plan
    When the trading process fails the way the system describes
    Then the failure shows: the health check goes red
    And the recovery is verified by the health check
    And the RTO is within the plan's target
