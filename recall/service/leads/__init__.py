"""Lead triage (信息处置): record, accept, merge, dismiss (recall/domain/leads.py has the rules)."""
