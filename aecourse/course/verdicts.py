"""What a check reports: one `CaseResult` per case, gathered in a `Report` per exercise.

Plain data with no torch in sight, so that the command line (`aecourse check`) and the grader's reports can read
verdicts without importing the checks, which import the math.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, ERROR, NOT_ATTEMPTED = "passed", "failed", "error", "not attempted"
# A graded notebook's status (`aecourse grade`), from the sandbox's executor to the gradebook.
OK, ERRORED, TIMEOUT, FLAGGED, INVALID, AMBIGUOUS, MISSING = (
    "ok", "error", "timeout", "flagged", "invalid", "ambiguous", "missing")


@dataclass
class CaseResult:
    name: str
    status: str
    message: str = ""


@dataclass
class Report:
    """The outcome of one exercise's checks: one `CaseResult` per case."""
    exercise_id: str
    cases: list[CaseResult] = field(default_factory=list)
    points: float = 1.0

    @property
    def passed(self) -> int:
        return sum(c.status == PASSED for c in self.cases)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def attempted(self) -> bool:
        return not any(c.status == NOT_ATTEMPTED for c in self.cases)

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def first_problem(self) -> CaseResult | None:
        """The first case that did not pass: its hint names the mistake to fix first."""
        return next((c for c in self.cases if c.status != PASSED), None)

    @property
    def score(self) -> float:
        """Partial credit: points times the fraction of cases passed."""
        return round(self.points * self.passed / self.total, 2) if self.total else 0.0

    def summary(self) -> str:
        if not self.attempted:
            return (f"{self.exercise_id}: not attempted yet: replace `raise NotImplementedError()` "
                    "with your code, then run this cell again")
        word = "check" if self.total == 1 else "checks"
        verdict = "all passed, well done" if self.all_passed else "see the hints below"
        return f"{self.exercise_id}: {self.passed}/{self.total} {word} passed ({verdict})"

    def text(self) -> str:
        lines = [self.summary()]
        if self.attempted:
            for c in self.cases:
                mark = {"passed": "[ok]  ", "failed": "[fail]", "error": "[error]"}[c.status]
                lines.append(f"  {mark} {c.name}" + (f": {c.message}" if c.message else ""))
        return "\n".join(lines)
