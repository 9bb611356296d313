"""The dashboard's figures, one module per part of the report (see ``dashboard.report``)."""
