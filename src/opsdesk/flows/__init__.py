"""Journeys that cross domains: event -> incident, incident -> problem, resolution -> survey."""
