"""The browser suite: the Lab as users meet it, in Debian's chromium (`release test --browser`)."""
