"""TraffickFree Communities and the stakeholder sectors they engage."""
