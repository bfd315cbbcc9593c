using System.Diagnostics;

namespace Recur.Tests.Reports;

/// <summary>Runs Debian's headless <c>chromium</c> (installed by <c>.ci/run</c>) on a local page: DOM dump and screenshot.</summary>
internal static class HeadlessChromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>The browser's path; a missing browser fails the test with the way to install it.</summary>
    public static string Executable()
    {
        string? found = Candidates.FirstOrDefault(File.Exists)
            ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "chromium")).FirstOrDefault(File.Exists);
        if (found is null)
            Assert.Fail("headless Chromium is needed for the browser test and was not found: install it with `apt-get install -y chromium` (.ci/run does)");
        return found;
    }

    /// <summary>The serialised DOM after the page's scripts ran.</summary>
    public static string DumpDom(string url, string profileDir) => Run(["--dump-dom", url], profileDir).Stdout;

    /// <summary>Renders the page into a PNG.</summary>
    public static void Screenshot(string url, string png, string profileDir, int width = 1280, int height = 900)
        => Run([$"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", url], profileDir);

    private static (string Stdout, string Stderr) Run(string[] args, string profileDir)
    {
        var psi = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                     "--allow-file-access-from-files", $"--user-data-dir={profileDir}" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"chromium did not finish within 30 s: {string.Join(' ', args)}");
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"chromium exited with {p.ExitCode}: {stderr.Result}");
        return (stdout.Result, stderr.Result);
    }
}
