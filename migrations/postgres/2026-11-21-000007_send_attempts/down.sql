DROP TABLE send_attempts;
