@q2 @quarterly @destructive
Feature: Q2 drill: config corruption, and code corruption (plan scenario 1, row "Code corruption")
  A bad edit breaks configs/risk.yml, or a bad deploy breaks a file under src/.
  The traderunner refuses to start, naming the file and line. The team
  follows the plan's scenario 1 as it is written today, read from the plan:
  it restores from git by checking out the stable tag; that tag predates
  configs/risk.yml, so where that leaves the deployment broken, the drill
  records the finding and rolls the damaged file back from git instead, as
  the plan's "Config Rollback" does. Git holds every committed change:
  nothing may be lost.

  Background: steady state before the incident
    Given a traderunner deployment trading in paper mode against the mock broker
    And the drill measures the "Code corruption" row of the DR plan

  Scenario Outline: <fault> is recovered from git
    When <fault>
    Then the failure shows: a restart fails
    When the operator runs step 1 of scenario 1 in the plan, "Navigate to repository"
    And the operator runs step 2 of scenario 1 in the plan, "Check for uncommitted changes"
    And the operator runs step 3 of scenario 1 in the plan, "Restore from stable tag"
    And where that step failed, the operator runs the corrected step "roll the damaged file back from git", written for plan commands b25d5957:
      """
      # the stable tag predates configs/risk.yml: stay on the release, roll back the damaged file
      git checkout main 2>/dev/null || git checkout -
      git checkout HEAD -- <file>
      """
    And the operator runs step 4 of scenario 1 in the plan, "Verify"
    And where that step failed, the operator runs the corrected step "roll back, start, then verify", written for plan commands ceee0d63:
      """
      # on the release the deployment ran, with the damaged file rolled back
      git checkout main 2>/dev/null || git checkout -
      git checkout HEAD -- <file>
      make test
      # the health check needs the traderunner running: start it in paper mode first
      TR_MODE=paper make start
      make health-check
      """
    And step 5 of scenario 1 in the plan, "If still broken, re-clone", is not drilled: the steps before it recovered the deployment
    And the traderunner is healthy in paper mode
    Then "<damaged file>" equals the committed file byte for byte
    And the RPO is measured from git for "configs, src"
    And the recovery is verified by "make health-check"
    And the RTO and RPO are within the plan's targets

    Examples:
      | fault                                                                   | damaged file                              |
      | "configs/risk.yml" is overwritten with broken YAML                      | configs/risk.yml                          |
      | "configs/risk.yml" is edited to set guards.max_daily_loss to -1000      | configs/risk.yml                          |
      | a stray line is appended to "src/traderunner/strategies/sma_cross.yml"  | src/traderunner/strategies/sma_cross.yml  |
