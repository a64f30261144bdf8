"""The notifier service: for now it joins its consumer group and answers Ping."""
