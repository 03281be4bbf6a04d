"""Stream processing: the one Faust app, its topics and its (thin) agents."""
