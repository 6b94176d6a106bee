"""Errors a user can act on, raised by the engine as typed data.

Anything raised as ``UserError`` is printed as one line and exits 2 without a traceback; everything else is
a bug and keeps its traceback under ``--debug``. Each error's own text is a complete sentence that names no
command-line flag: the engine is also called by tests, benchmarks and other programs. Only
``auditpack.commands.messages`` turns an error into a sentence that says which flag to change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean scan?)`` when one of ``choices`` is close to a mistyped ``word``, else nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


class UserError(Exception):
    """Bad usage or bad input: the message alone must tell the user what to fix."""

    exit_code = 2


class ProfileNotFound(UserError):
    def __init__(self, profile: str) -> None:
        super().__init__(f"AWS profile not found: {profile}")
        self.profile = profile


class NoCredentials(UserError):
    def __init__(self) -> None:
        super().__init__("no AWS credentials found")


class CredentialsRejected(UserError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"AWS rejected the credentials ({code}): {message}")
        self.code = code


class AwsUnreachable(UserError):
    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"cannot reach AWS {service}: {detail}")
        self.service = service
        self.detail = detail


class UnknownRegion(UserError):
    def __init__(self, region: str) -> None:
        super().__init__(f"unknown region {region!r}")
        self.region = region


class RegionsUnavailable(UserError):
    """The account's enabled regions could not be listed, so they must be named."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"cannot list the account's enabled regions ({detail})")
        self.detail = detail


class NoRegionLeft(UserError):
    def __init__(self) -> None:
        super().__init__("no region left to scan after exclusions")


class UnknownControl(UserError):
    def __init__(self, control: str, known: Iterable[str] = ()) -> None:
        super().__init__(f"unknown control {control!r}{did_you_mean(control, known)}: "
                         "see 'auditpack controls' for the list")
        self.control = control


class UnknownCheck(UserError):
    def __init__(self, check_id: str, known: Iterable[str] = ()) -> None:
        super().__init__(f"no control cites a check {check_id!r}{did_you_mean(check_id, known)}: "
                         "see 'auditpack checks' for the list")
        self.check_id = check_id


class UnknownService(UserError):
    def __init__(self, service: str, known: Iterable[str]) -> None:
        known = list(known)
        super().__init__(f"no check reads the service {service!r}{did_you_mean(service, known)} "
                         f"(known: {', '.join(known)})")
        self.service = service


class NothingSelected(UserError):
    def __init__(self, selection: str) -> None:
        super().__init__(f"no check is left to run after narrowing to {selection}")


class OrganizationUnavailable(UserError):
    """The Organization's accounts could not be listed: not its management account, or no Organization."""

    def __init__(self, reason: str, *, reachable: bool = True) -> None:
        what = "cannot list the Organization's accounts" if reachable else "cannot reach AWS Organizations"
        super().__init__(f"{what} ({reason})" if reachable else f"{what}: {reason}")
        self.reason = reason
        self.reachable = reachable


class AccountsOutsideOrganization(UserError):
    def __init__(self, accounts: list[str]) -> None:
        super().__init__(f"not an active account of the Organization: {', '.join(accounts)}")
        self.accounts = accounts


class NoAccountInScope(UserError):
    def __init__(self) -> None:
        super().__init__("no account left to scan: the account selection matches none of the accounts in scope")


class OutputNotAPack(UserError):
    """A pack's folder exists and holds something else: it is never overwritten."""

    def __init__(self, out: Path, what: str = "is not an auditpack pack") -> None:
        super().__init__(f"{out} exists and {what}")
        self.out = out


class PackExists(UserError):
    """A pack is already where the new one would go: last quarter's evidence is not replaced by accident."""

    def __init__(self, out: Path, run_id: str | None, sealed: str | None) -> None:
        which = f"run {run_id}" + (f", sealed {sealed}" if sealed else "") if run_id else "an earlier run"
        super().__init__(f"{out} already holds a pack ({which})")
        self.out = out


class OutputUnusable(UserError):
    """The pack cannot be written where it was asked for (no permission, a file in the way, a full disk)."""

    def __init__(self, out: Path, reason: str) -> None:
        super().__init__(f"cannot write the pack to {out}: {reason}")
        self.out = out


class OutputIsInput(UserError):
    """A merge would write over one of the packs it reads."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: the merged pack must not be one of the packs being merged")
        self.path = path


class OverlappingPacks(UserError):
    """Two packs to merge both assessed one account: one verdict would count twice."""

    def __init__(self, account: str, first: Path, second: Path) -> None:
        super().__init__(f"account {account} is in both {first} and {second}")
        self.account = account


class NotAnAccessKeyId(UserError):
    """What was given is not shaped like an access key id; it is never repeated (it may be a secret key)."""

    def __init__(self) -> None:
        super().__init__("not an AWS access key id: 20 letters and digits starting with AKIA (an IAM user's key) "
                         "or ASIA (temporary credentials)")


class DocumentationKey(UserError):
    def __init__(self) -> None:
        super().__init__("that is AWS's documentation example key, not a key of any account")


class KeyOfAnotherAccount(UserError):
    """The key belongs to another account than the caller's: its history is that account's to read."""

    def __init__(self, owner: str, caller: str) -> None:
        super().__init__(f"the key belongs to account {owner}, not to {caller} whose credentials are in use; "
                         f"investigate it with credentials of account {owner}")
        self.owner = owner
        self.caller = caller


class LookbackBeyondHistory(UserError):
    def __init__(self, days: int, history: int) -> None:
        super().__init__(f"{days} days reach beyond the {history} days of CloudTrail's event history: older "
                         "events are only in the trail's log files")
        self.days = days
        self.history = history


class NotATrailLocation(UserError):
    def __init__(self, url: str) -> None:
        super().__init__(f"{url!r} is not an S3 location (s3://bucket or s3://bucket/prefix)")
        self.url = url


class TrailBucketNotFound(UserError):
    def __init__(self, bucket: str, code: str) -> None:
        super().__init__(f"the trail bucket {bucket} cannot be found ({code})")
        self.bucket = bucket


class KeyUnusable(UserError):
    """A key file that cannot be read, or is not an Ed25519 key of the kind asked for."""

    def __init__(self, path: Path, role: str, reason: str) -> None:
        super().__init__(f"{path}: cannot use it as a {role} key: {reason}")
        self.path = path
        self.role = role  # "private" (signing) or "public" (verifying)
        self.reason = reason


class KeyTooOpen(KeyUnusable):
    """A private key others may read signs for them too: it is refused, as ssh refuses one."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(path, "private", f"its mode {mode:04o} lets others read or change it; a private key "
                                          "must be readable by its owner only")
        self.mode = mode


class KeyFilesExist(UserError):
    def __init__(self, paths: list[Path]) -> None:
        super().__init__(f"not overwriting existing key file(s): {', '.join(str(p) for p in paths)}")
        self.paths = paths


class PreviousPackAltered(UserError):
    """A pack to chain to must be intact: a link to an altered pack would vouch for the change."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        super().__init__(f"{path} fails verification, so it cannot be chained to: {shown}")
        self.path = path
        self.problems = problems


class WorkerDied(UserError):
    """The process the scan ran in (``auditpack.apart``) ended without a result: killed, most often by the
    system running out of memory. The exit code is the shell's for that signal (137 for SIGKILL), as if the
    one process had been killed; nothing of the unfinished pack is left."""

    def __init__(self, exitcode: int | None) -> None:
        import signal

        if exitcode is not None and exitcode < 0:
            try:
                name = signal.Signals(-exitcode).name
            except ValueError:
                name = f"signal {-exitcode}"
            how = f"was killed by {name}" + (" (often the system running out of memory)"
                                             if -exitcode == signal.SIGKILL else "")
            self.exit_code = 128 - exitcode
        else:
            how = f"ended with exit code {exitcode} before it had finished"
        super().__init__(f"the scan's process {how}; no pack was written")
        self.exitcode = exitcode
