using System.Runtime.InteropServices;

namespace Recur.Bench;

/// <summary>
/// OpenBLAS loaded at run time when the machine has it (never required): <c>cblas_sgemm</c> through a
/// function pointer, thread count through <c>openblas_set_num_threads</c> when exported.
/// </summary>
public sealed unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setThreads;

    /// <summary>"OpenBLAS 0.3.21 (SkylakeX)": version from <c>openblas_get_config</c>, kernel set from <c>openblas_get_corename</c>.</summary>
    public string Name { get; }

    private OpenBlas(nint lib, string idleSpin)
    {
        IdleSpin = idleSpin;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(lib, "cblas_sgemm");
        _setThreads = NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out var st)
            ? (delegate* unmanaged<int, void>)st : null;
        Name = "OpenBLAS";
        if (NativeLibrary.TryGetExport(lib, "openblas_get_config", out var cfg))
        {
            var config = Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)cfg)()) ?? "";
            var parts = config.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == "OpenBLAS") Name = $"OpenBLAS {parts[1]}";
        }
        // The kernel set it picked matters: 0.3.21 does not know recent Intel models and falls back to
        // Prescott (SSE3); OPENBLAS_CORETYPE=SkylakeX in the environment makes it use its AVX-512 kernels.
        if (NativeLibrary.TryGetExport(lib, "openblas_get_corename", out var core)
            && Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)core)()) is { Length: > 0 } coreName)
            Name += $" ({coreName})";
    }

    /// <summary>
    /// log₂ of the cycles OpenBLAS's idle threads spin before they sleep, set for this process when the user has
    /// not set <c>OPENBLAS_THREAD_TIMEOUT</c>: 2¹⁹ cycles ≈ 150–200 µs, about our own workers' spin
    /// (<c>GemmThreadPool.SpinMicroseconds</c>). OpenBLAS's default, 2²⁸ cycles (≈ 0.1 s), keeps its worker
    /// spinning on a core through our next sample of an interleaved comparison: on 2 cores that halved some
    /// of ours (2048³: 100–183 GFLOP/s across samples, against 178–190 with the shorter spin).
    /// </summary>
    public const int IdleSpinLog2Cycles = 19;

    /// <summary>How OpenBLAS's idle spin was set, for the report's notes.</summary>
    public string IdleSpin { get; }

    /// <summary>OpenBLAS if it loads (libopenblas.so.0 by name, then Debian's full path), else null.</summary>
    public static OpenBlas? TryLoad()
    {
        string idleSpin = LimitIdleSpin();
        string[] candidates = ["libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll"];
        foreach (var name in candidates)
            if (NativeLibrary.TryLoad(name, out var lib))
            {
                if (NativeLibrary.TryGetExport(lib, "cblas_sgemm", out _)) return new OpenBlas(lib, idleSpin);
            }
        return null;
    }

    /// <summary>Sets OPENBLAS_THREAD_TIMEOUT in the native environment (read once, when the library loads); .NET's
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code on Unix.</summary>
    private static string LimitIdleSpin()
    {
        const string name = "OPENBLAS_THREAD_TIMEOUT";
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } given)
            return $"OpenBLAS idle spin: 2^{given} cycles ({name} from the environment)";
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)
            || !NativeLibrary.TryGetExport(libc, "setenv", out var setenv))
            return "OpenBLAS idle spin: its default (could not set " + name + ")";
        var key = Marshal.StringToHGlobalAnsi(name);
        var value = Marshal.StringToHGlobalAnsi(IdleSpinLog2Cycles.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try { ((delegate* unmanaged<nint, nint, int, int>)setenv)(key, value, 0); }
        finally { Marshal.FreeHGlobal(key); Marshal.FreeHGlobal(value); }
        return $"OpenBLAS idle spin: 2^{IdleSpinLog2Cycles} cycles ({name}), about our workers' 200 µs, so neither library's idle threads hold a core into the other's samples";
    }

    public void SetThreads(int threads)
    {
        if (_setThreads != null) _setThreads(threads);
    }

    /// <summary>Row-major cblas_sgemm; the caller guarantees the spans are large enough.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
