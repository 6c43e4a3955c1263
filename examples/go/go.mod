module example.invalid/roster

go 1.19
