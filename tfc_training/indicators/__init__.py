"""The network's indicators: milestones, outside meetings and the anonymous survey."""
