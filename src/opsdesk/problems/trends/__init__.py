"""Trend detection: clusters of similar incidents become problem candidates.

``detect`` finds the clusters (no database), ``selectors`` reads the window's incidents and
the candidates, ``services`` writes candidates and the desk's decisions on them.
"""
