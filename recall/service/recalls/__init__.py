"""Recall stage (召回实施 / 效果评估): notices, progress, deadlines, effectiveness."""
