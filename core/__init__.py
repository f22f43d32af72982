"""The kernel: what every layer shares (catalogue, periods, clock, money, roles, spreadsheet safety, text). Imports nothing of the project above it."""
