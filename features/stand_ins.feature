@smoke @stand-ins
Feature: The reference stand-ins behave like traderunner and its broker
  The drills are only as true as the system they break. These checks show the
  stand-ins trade, back up and validate their data the way the plan expects.

  Scenario: in live mode orders flow and the positions match the broker
    Given a traderunner deployment trading in live mode against the mock broker
    Then the health check shows "Mode: LIVE"
    And the broker fills at least 2 orders
    And "make verify:positions" passes
    And the positions match the broker's

  Scenario: state snapshots reach MinIO at the configured cadence
    Given a traderunner deployment trading in paper mode against the mock broker
    Then 4 "state" snapshots reach MinIO at the profile's cadence

  Scenario: data validation passes on fresh data and fails on a deleted directory
    Given a traderunner deployment trading in paper mode against the mock broker
    And its state and data backups have reached MinIO
    And the drill measures the "Data corruption" row of the DR plan
    Then "make data:validate" passes
    When the "artifacts/data_m5" directory is deleted
    Then the failure shows: "make data:validate" fails
