"""Statistics of the loop for a regulator's area: events, defect leads, investigations, recalls."""
