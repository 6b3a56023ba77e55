@q2 @quarterly @destructive
Feature: Q2 drill: config corruption, and code corruption (plan scenario 1, row "Code corruption")
  A bad edit breaks configs/risk.yml, or a bad deploy breaks a file under src/.
  The traderunner refuses to start, naming the file and line. The plan restores
  from git by checking out the stable tag; that tag predates configs/risk.yml,
  so where checking it out leaves the deployment broken, the drill records the
  finding and rolls the file back from git instead, as the plan's "Config
  Rollback" says. Git holds every committed change: nothing may be lost.

  Background: steady state before the incident
    Given a traderunner deployment trading in paper mode against the mock broker
    And the drill measures the "Code corruption" row of the DR plan

  Scenario Outline: <fault> is recovered from git
    When <fault>
    Then the failure shows: a restart fails
    When the operator runs the plan's step "restore from the stable tag":
      """
      git status
      git checkout v1.0-stable
      make test
      """
    And where that step failed, the operator runs the corrected step "roll the file back from git":
      """
      git checkout main 2>/dev/null || git checkout -
      git checkout HEAD -- <file>
      make test
      """
    And the operator starts the traderunner in paper mode
    Then "<file>" equals the committed file byte for byte
    And the RPO is measured from git for "configs, src"
    And the recovery is verified by "make health-check"
    And the RTO and RPO are within the plan's targets

    Examples:
      | fault                                                                   | file                                      |
      | "configs/risk.yml" is overwritten with broken YAML                      | configs/risk.yml                          |
      | "configs/risk.yml" is edited to set guards.max_daily_loss to -1000      | configs/risk.yml                          |
      | a stray line is appended to "src/traderunner/strategies/sma_cross.yml"  | src/traderunner/strategies/sma_cross.yml  |
