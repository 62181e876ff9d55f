"""Glossaries: a team's terms with definitions, aliases and case rules, their history and files."""
