"""Enforcement referral cases (移送执法案件): opening, deciding, escalating, the credit record."""
