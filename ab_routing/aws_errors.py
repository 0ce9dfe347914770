"""How a failed AWS call reads in a message: one wording for every command that calls AWS."""

from __future__ import annotations

from botocore.exceptions import ClientError, NoCredentialsError

NO_CREDENTIALS = "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"


def describe(problem: Exception) -> str:
    """`Code: Message` when AWS answered with an error, what to set when no credentials were
    found, else the exception's own text (an endpoint that cannot be reached, a timeout)."""
    if isinstance(problem, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(problem, ClientError):
        info = problem.response.get("Error", {})
        return f"{info.get('Code', '?')}: {info.get('Message', problem)}"
    return str(problem)
