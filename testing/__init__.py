"""What tests, `make render` and the acceptance harness share: the program under Pulumi mocks (`mock_stack`),
real X.509 material for the mocks (`fake_tls`), and stack files and scenarios (`stack_config`)."""
