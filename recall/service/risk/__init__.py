"""Risk-assessment stage (风险评估): product and regional signals, scores, reports."""
