"""The demo library: texts shipped with Wenyuan and the builder that turns them into files."""
