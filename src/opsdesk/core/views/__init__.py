"""Web pages of core: sign-in, home, people, teams, tokens. Thin: they call services."""
