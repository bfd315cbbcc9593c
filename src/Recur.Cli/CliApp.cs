using System.CommandLine;

namespace Recur.Cli;

/// <summary>
/// The `recur` command tree. Exit codes: 0 success, 1 user error (one line on stderr),
/// 2 bad usage. Commands register themselves in <see cref="Build"/>.
/// </summary>
public static class CliApp
{
    public const int Ok = 0, UserError = 1, Usage = 2;

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = Build(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"recur: {e.Message}");
            stderr.WriteLine("Run 'recur --help' for usage.");
            return Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UserException e)
        {
            stderr.WriteLine($"recur: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException or FormatException)
        {
            stderr.WriteLine($"recur: {e.Message}");
            return UserError;
        }
    }

    public static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Recur: recurrent neural networks (RNN, LSTM, GRU, ESN) on a managed CPU engine.");
        root.Subcommands.Add(BenchCommand.Build(stdout, stderr));
        root.Subcommands.Add(EsnCommand.Build(stdout, stderr));
        root.Subcommands.Add(TrainCommand.Build(stdout, stderr));
        root.Subcommands.Add(SampleCommand.Build(stdout, stderr));
        root.Subcommands.Add(EvalCommand.Build(stdout, stderr));
        root.Subcommands.Add(InfoCommand.Build(stdout, stderr));
        root.Subcommands.Add(ImportCommand.Build(stdout, stderr));
        root.Subcommands.Add(ExportCommand.Build(stdout, stderr));
        root.Subcommands.Add(GradientsCommand.Build(stdout, stderr));
        root.Subcommands.Add(TaskCommand.Build(stdout, stderr));
        root.Subcommands.Add(ForecastCommand.Build(stdout, stderr));
        root.Subcommands.Add(VisualizeCommand.Build(stdout, stderr));
        return root;
    }
}

/// <summary>A mistake of the user's (bad file, bad value): reported as one line, exit code 1.</summary>
public sealed class UserException(string message) : Exception(message);
