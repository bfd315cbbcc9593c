using Recur.Cli;

return CliApp.Run(args);
