"""Tests of the JupyterLab extension: the REST handlers, the packaging and the panel in Chromium."""
