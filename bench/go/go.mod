module echo_server

go 1.19
