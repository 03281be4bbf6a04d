"""Risk assessment (风险评估): severity, EU risk matrix, probability, temporal detectors,
disproportionality and the composite score. Import from the submodules; nothing runs here."""
