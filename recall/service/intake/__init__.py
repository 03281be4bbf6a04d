"""Intake stage (信息采集): admit station records, store them once, account for each."""
