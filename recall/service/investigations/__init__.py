"""Defect-investigation stage (缺陷调查): open from signals, assign experts, conclude."""
