[inputs: ["mix.exs", "host.exs", "{lib,test}/**/*.{ex,exs}", "bench/*.exs"]]
