using System.Numerics;
using System.Runtime.CompilerServices;

namespace Recur.Kernels;

/// <summary>
/// Matrix-vector products for tiny batches (streaming, generation): <c>y[m, n] = x[m, k] · W[n, k]ᵀ + beta·y</c>
/// with W stored row-major (PyTorch's weight layout), so each output is one contiguous dot product.
/// Packing W for a GEMM would cost more than the product itself at m ≤ 4. At batch 1 the product is bound
/// by reading W: large ones are split by rows of W over the GEMM threads in fixed parts, so each core
/// re-reads the same slice every step and keeps it in its own L2 cache.
/// </summary>
public static unsafe class Gemv
{
    /// <summary>Largest m this kernel is meant for; beyond it a packed GEMM wins.</summary>
    public const int MaxRows = 4;

    /// <summary>Multiply-adds below which a second thread does not pay for itself.</summary>
    internal const long ParallelWork = 48 * 1024;

    public static void MultiplyTransposed(int m, int n, int k, ReadOnlySpan<float> x, int ldx,
        ReadOnlySpan<float> w, int ldw, float beta, Span<float> y, int ldy)
    {
        Gemm.Validate(Op.None, Op.Transpose, m, n, k, x.Length, ldx, w.Length, ldw, y.Length, ldy);
        if (m == 0 || n == 0) return;
        fixed (float* px = x, pw = w, py = y)
        {
            var job = new Job(px, ldx, pw, ldw, py, ldy, m, n, k, beta);
            int threads = Math.Min(Gemm.Threads, n / 16);
            if (threads >= 2 && (long)m * n * k >= ParallelWork)
            {
                var shared = Job.Shared;
                shared.Set(job, threads);
                if (GemmThreadPool.TryRunParts(shared, threads)) return;
            }
            job.Rows(0, n);
        }
    }

    /// <summary>One product, split by rows of W (columns of y) into fixed parts.</summary>
    private sealed class Job : GemmThreadPool.IParts
    {
        [ThreadStatic] private static Job? t_shared;
        public static Job Shared => t_shared ??= new Job();

        private float* _x, _w, _y;
        private int _ldx, _ldw, _ldy, _m, _n, _k, _parts;
        private float _beta;

        private Job() { }

        public Job(float* x, int ldx, float* w, int ldw, float* y, int ldy, int m, int n, int k, float beta)
        {
            _x = x; _ldx = ldx; _w = w; _ldw = ldw; _y = y; _ldy = ldy; _m = m; _n = n; _k = k; _beta = beta; _parts = 1;
        }

        public void Set(Job j, int parts)
        {
            _x = j._x; _ldx = j._ldx; _w = j._w; _ldw = j._ldw; _y = j._y; _ldy = j._ldy;
            _m = j._m; _n = j._n; _k = j._k; _beta = j._beta; _parts = parts;
        }

        /// <summary>Part p: rows [n·p/P, n·(p+1)/P) of W, boundaries on multiples of 16 (whole cache lines of y).</summary>
        public void RunPart(int part)
        {
            int j0 = Boundary(part), j1 = Boundary(part + 1);
            if (j1 > j0) Rows(j0, j1);
        }

        private int Boundary(int part) => part >= _parts ? _n : (int)((long)_n * part / _parts) & ~15;

        public void Rows(int j0, int j1)
        {
            for (int i = 0; i < _m; i++)
            {
                float* xr = _x + (nint)i * _ldx, yr = _y + (nint)i * _ldy;
                int j = j0;
                for (; j <= j1 - 4; j += 4)
                {
                    Dot4(xr, _w + (nint)j * _ldw, _ldw, _k, out float d0, out float d1, out float d2, out float d3);
                    if (_beta == 0f) { yr[j] = d0; yr[j + 1] = d1; yr[j + 2] = d2; yr[j + 3] = d3; }
                    else
                    {
                        yr[j] = _beta * yr[j] + d0; yr[j + 1] = _beta * yr[j + 1] + d1;
                        yr[j + 2] = _beta * yr[j + 2] + d2; yr[j + 3] = _beta * yr[j + 3] + d3;
                    }
                }
                for (; j < j1; j++)
                {
                    float d = Dot(xr, _w + (nint)j * _ldw, _k);
                    yr[j] = _beta == 0f ? d : _beta * yr[j] + d;
                }
            }
        }
    }

    /// <summary>Four dot products of x with four consecutive rows of W (x read once per chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Dot4(float* x, float* w0, int ldw, int k, out float d0, out float d1, out float d2, out float d3)
    {
        float* w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        var a0 = Vector<float>.Zero; var a1 = Vector<float>.Zero; var a2 = Vector<float>.Zero; var a3 = Vector<float>.Zero;
        int v = Vector<float>.Count, p = 0;
        for (; p <= k - v; p += v)
        {
            var xv = Vector.Load(x + p);
            a0 = Vector.FusedMultiplyAdd(xv, Vector.Load(w0 + p), a0);
            a1 = Vector.FusedMultiplyAdd(xv, Vector.Load(w1 + p), a1);
            a2 = Vector.FusedMultiplyAdd(xv, Vector.Load(w2 + p), a2);
            a3 = Vector.FusedMultiplyAdd(xv, Vector.Load(w3 + p), a3);
        }
        d0 = Vector.Sum(a0); d1 = Vector.Sum(a1); d2 = Vector.Sum(a2); d3 = Vector.Sum(a3);
        for (; p < k; p++)
        {
            float xp = x[p];
            d0 += xp * w0[p]; d1 += xp * w1[p]; d2 += xp * w2[p]; d3 += xp * w3[p];
        }
    }

    private static float Dot(float* x, float* w, int k)
        => System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(x, k), new ReadOnlySpan<float>(w, k));
}
