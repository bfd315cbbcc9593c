using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Op
{
    None,
    Transpose,
}

/// <summary>Which micro-kernel the GEMM runs (see <see cref="Gemm.Kernel"/>).</summary>
public enum GemmKernel
{
    /// <summary>The widest the CPU supports: Avx512, else Avx2, else Portable.</summary>
    Auto,
    /// <summary>AVX-512F, <c>Vector512</c>: 8×32 (float) / 8×16 (double) register blocks.</summary>
    Avx512,
    /// <summary>AVX2 + FMA, <c>Vector256</c>: 6×16 (float) / 6×8 (double) register blocks.</summary>
    Avx2,
    /// <summary><c>System.Numerics.Vector&lt;T&gt;</c>: 4 × 2 vectors; runs everywhere (Arm included).</summary>
    Portable,
}

/// <summary>
/// General matrix multiply, row-major: <c>C = alpha·op(A)·op(B) + beta·C</c> with
/// op(A) <c>[M, K]</c>, op(B) <c>[K, N]</c>, C <c>[M, N]</c>. Leading dimensions are the
/// row strides of the stored matrices, so sub-blocks of larger matrices work without copies.
/// <para>Stored shapes: A is <c>[M, K]</c> (lda ≥ K) or, transposed, <c>[K, M]</c> (lda ≥ M);
/// B is <c>[K, N]</c> (ldb ≥ N) or, transposed, <c>[N, K]</c> (ldb ≥ K).</para>
/// <para>beta = 0 overwrites C (NaNs in C do not propagate), as in BLAS.</para>
/// <para>Implementation (BLIS): A and B are packed into contiguous panels and a register-blocked
/// micro-kernel (<see cref="Kernel"/>) computes C tile by tile; work is split over
/// <see cref="Threads"/> persistent worker threads. No allocation per call in steady state.
/// Safe to call from several threads at once (a second concurrent caller runs single-threaded).</para>
/// </summary>
public static partial class Gemm
{
    private static volatile GemmKernel s_kernel = GemmKernel.Auto;
    private static volatile int s_threads = Environment.ProcessorCount;

    /// <summary>
    /// The micro-kernel every following call uses (process-wide; default <see cref="GemmKernel.Auto"/>).
    /// For tests and benchmarks. Setting a kernel the CPU lacks throws <see cref="NotSupportedException"/>.
    /// </summary>
    public static GemmKernel Kernel
    {
        get => s_kernel;
        set
        {
            if (!IsSupported(value))
                throw new NotSupportedException($"GEMM kernel {value} needs {Requirement(value)}, which this CPU does not support");
            s_kernel = value;
        }
    }

    /// <summary>The kernel <see cref="Kernel"/> resolves to on this CPU (never Auto).</summary>
    public static GemmKernel ActiveKernel => Resolve(s_kernel);

    /// <summary>Threads a call may use (default: <see cref="Environment.ProcessorCount"/>; at least 1).</summary>
    public static int Threads
    {
        get => s_threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "GEMM threads must be at least 1");
            s_threads = value;
        }
    }

    /// <summary>Whether this CPU can run <paramref name="kernel"/>.</summary>
    public static bool IsSupported(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Auto or GemmKernel.Portable => true,
        GemmKernel.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        GemmKernel.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    internal static GemmKernel Resolve(GemmKernel kernel)
    {
        if (kernel != GemmKernel.Auto)
        {
            if (!IsSupported(kernel))
                throw new NotSupportedException($"GEMM kernel {kernel} needs {Requirement(kernel)}, which this CPU does not support");
            return kernel;
        }
        if (IsSupported(GemmKernel.Avx512)) return GemmKernel.Avx512;
        if (IsSupported(GemmKernel.Avx2)) return GemmKernel.Avx2;
        return GemmKernel.Portable;
    }

    private static string Requirement(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Avx512 => "AVX-512F",
        GemmKernel.Avx2 => "AVX2 and FMA",
        _ => "an unknown instruction set",
    };

    /// <summary><c>C = alpha·op(A)·op(B) + beta·C</c> in float32 (see the class remarks for shapes).</summary>
    public static void Sgemm(Op opA, Op opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        Validate(opA, opB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Run(Resolve(s_kernel), s_threads, opA, opB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc);
    }

    /// <summary><c>C = alpha·op(A)·op(B) + beta·C</c> in float64 (see the class remarks for shapes).</summary>
    public static void Dgemm(Op opA, Op opB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        Validate(opA, opB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Run(Resolve(s_kernel), s_threads, opA, opB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc);
    }

    /// <summary>
    /// Packs op(B) <c>[K, N]</c> once into the panel layout the micro-kernel reads, for a B that is
    /// multiplied many times (a recurrent layer's <c>W_hhᵀ</c> at every time step): pass the result
    /// to <see cref="Sgemm(Op, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.
    /// The packing follows the kernel <see cref="Kernel"/> resolves to now. After the weights change,
    /// call <see cref="PackedMatrix.Repack"/> to refresh it in place (no allocation for the same shape).
    /// </summary>
    /// <param name="opB">B as stored (<c>[K, N]</c>, ldb ≥ N) or transposed (stored <c>[N, K]</c>, ldb ≥ K).</param>
    public static PackedMatrix PackB(Op opB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        var packed = new PackedMatrix();
        packed.Repack(opB, k, n, b, ldb);
        return packed;
    }

    /// <summary>
    /// <c>C = alpha·op(A)·B + beta·C</c> with B pre-packed by <see cref="PackB"/> (op(B) <c>[K, N]</c>
    /// as packed; K = <see cref="PackedMatrix.K"/>, N = <see cref="PackedMatrix.N"/>). op(A) is <c>[M, K]</c>,
    /// C is <c>[M, N]</c>. Runs the kernel B was packed for; threads as <see cref="Threads"/>.
    /// Same results as the unpacked <see cref="Sgemm(Op, Op, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>.
    /// </summary>
    public static void Sgemm(Op opA, int m, float alpha, ReadOnlySpan<float> a, int lda,
        PackedMatrix b, float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        Validate(opA, Op.None, m, b.N, b.K, a.Length, lda, 0, Math.Max(1, b.N), c.Length, ldc, checkB: false);
        Run(b.Kernel, s_threads, opA, Op.None, m, b.N, b.K, alpha, a, lda, default, 0, b, beta, c, ldc);
    }

    internal static void Validate(Op opA, Op opB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc, bool checkB = true)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"gemm: negative size M={m} N={n} K={k}");
        int aRows = opA == Op.None ? m : k, aCols = opA == Op.None ? k : m;
        int bRows = opB == Op.None ? k : n, bCols = opB == Op.None ? n : k;
        CheckOperand("A", aRows, aCols, lda, aLength, m > 0 && n > 0 && k > 0);
        if (checkB) CheckOperand("B", bRows, bCols, ldb, bLength, m > 0 && n > 0 && k > 0);
        CheckOperand("C", m, n, ldc, cLength, m > 0 && n > 0);
    }

    internal static void CheckOperand(string name, int rows, int cols, int ld, int length, bool used)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"gemm: leading dimension of {name} is {ld}, needs at least {cols} (stored [{rows}, {cols}])");
        if (!used) return;
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"gemm: {name} stored [{rows}, {cols}] with leading dimension {ld} needs {needed} elements, span has {length}");
    }
}
