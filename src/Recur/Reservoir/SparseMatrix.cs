using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Reservoir;

/// <summary>
/// A square or rectangular sparse matrix in compressed sparse row (CSR) form, float64.
/// Row <c>i</c> holds the entries <c>Values[RowStart[i] .. RowStart[i+1])</c> at columns
/// <c>Columns[...]</c>. Immutable in shape; <see cref="Scale"/> rescales the values in place.
/// </summary>
public sealed class SparseMatrix
{
    public int Rows { get; }
    public int Cols { get; }
    internal readonly int[] RowStart;   // [Rows + 1]
    internal readonly int[] Columns;    // [Nnz], ascending within a row
    internal readonly double[] Values;  // [Nnz]

    public int NonZeros => Values.Length;
    public ReadOnlySpan<int> RowPointers => RowStart;
    public ReadOnlySpan<int> ColumnIndices => Columns;
    public ReadOnlySpan<double> NonZeroValues => Values;

    public SparseMatrix(int rows, int cols, int[] rowStart, int[] columns, double[] values)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"sparse matrix: negative shape [{rows}, {cols}]");
        if (rowStart.Length != rows + 1 || rowStart[0] != 0 || rowStart[rows] != values.Length || columns.Length != values.Length)
            throw new ArgumentException("sparse matrix: inconsistent CSR arrays");
        for (int i = 0; i < rows; i++)
        {
            if (rowStart[i + 1] < rowStart[i]) throw new ArgumentException("sparse matrix: row pointers must not decrease");
            for (int p = rowStart[i]; p < rowStart[i + 1]; p++)
                if ((uint)columns[p] >= (uint)cols || (p > rowStart[i] && columns[p] <= columns[p - 1]))
                    throw new ArgumentException($"sparse matrix: bad column index {columns[p]} in row {i}");
        }
        Rows = rows; Cols = cols; RowStart = rowStart; Columns = columns; Values = values;
    }

    /// <summary>CSR from a dense row-major matrix, keeping the entries that are not zero.</summary>
    public static SparseMatrix FromDense(ReadOnlySpan<double> dense, int rows, int cols)
    {
        if (dense.Length != rows * cols) throw new ArgumentException($"sparse matrix: dense span has {dense.Length} elements, shape [{rows}, {cols}] needs {rows * cols}");
        var start = new int[rows + 1];
        var colList = new List<int>();
        var valList = new List<double>();
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                double v = dense[i * cols + j];
                if (v != 0) { colList.Add(j); valList.Add(v); }
            }
            start[i + 1] = colList.Count;
        }
        return new SparseMatrix(rows, cols, start, colList.ToArray(), valList.ToArray());
    }

    /// <summary>
    /// A random square matrix, entries uniform in [-1, 1]. With <paramref name="inDegree"/> every row
    /// gets exactly that many entries at distinct random columns; otherwise every entry is present
    /// independently with probability <paramref name="density"/> (at least one per row, so no unit is cut off).
    /// </summary>
    public static SparseMatrix Random(int n, double density, int? inDegree, Random rng)
    {
        if (n <= 0) throw new ArgumentException($"reservoir size must be positive, got {n}");
        if (inDegree is { } k)
        {
            if (k < 1 || k > n) throw new ArgumentException($"in-degree must be in 1..{n}, got {k}");
        }
        else if (!(density > 0 && density <= 1)) throw new ArgumentException($"density must be in (0, 1], got {density}");

        var start = new int[n + 1];
        var cols = new List<int>(inDegree is { } kk ? kk * n : (int)Math.Min(int.MaxValue / 2, density * n * (double)n * 1.1 + n));
        var vals = new List<double>(cols.Capacity);
        var rowCols = new List<int>();
        var picked = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            rowCols.Clear();
            if (inDegree is { } deg)
            {
                picked.Clear();
                while (picked.Count < deg) picked.Add(rng.Next(n));
                rowCols.AddRange(picked);
                rowCols.Sort();
            }
            else
            {
                for (int j = 0; j < n; j++) if (rng.NextDouble() < density) rowCols.Add(j);
                if (rowCols.Count == 0) rowCols.Add(rng.Next(n));
            }
            foreach (int j in rowCols) { cols.Add(j); vals.Add(2 * rng.NextDouble() - 1); }
            start[i + 1] = cols.Count;
        }
        return new SparseMatrix(n, n, start, cols.ToArray(), vals.ToArray());
    }

    /// <summary>Multiplies every stored value by <paramref name="factor"/>.</summary>
    public void Scale(double factor)
    {
        for (int p = 0; p < Values.Length; p++) Values[p] *= factor;
    }

    /// <summary>The dense row-major copy (for tests and small dense eigen-solves).</summary>
    public double[] ToDense()
    {
        var d = new double[Rows * Cols];
        for (int i = 0; i < Rows; i++)
            for (int p = RowStart[i]; p < RowStart[i + 1]; p++) d[i * Cols + Columns[p]] = Values[p];
        return d;
    }

    /// <summary>y = A·x (beta = 0) or y = A·x + y (accumulate = true).</summary>
    public void Multiply(ReadOnlySpan<double> x, Span<double> y, bool accumulate = false)
    {
        if (x.Length != Cols) throw new ArgumentException($"sparse mat-vec: x has {x.Length} elements, matrix has {Cols} columns");
        if (y.Length != Rows) throw new ArgumentException($"sparse mat-vec: y has {y.Length} elements, matrix has {Rows} rows");
        if (Avx2.IsSupported && Fma.IsSupported) MultiplyAvx2(x, y, accumulate);
        else MultiplyScalar(x, y, accumulate);
    }

    internal void MultiplyScalar(ReadOnlySpan<double> x, Span<double> y, bool accumulate)
    {
        for (int i = 0; i < Rows; i++)
        {
            double s = 0;
            for (int p = RowStart[i]; p < RowStart[i + 1]; p++) s += Values[p] * x[Columns[p]];
            y[i] = accumulate ? y[i] + s : s;
        }
    }

    /// <summary>Four nonzeros at a time: gather x at the column indices, fused multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void MultiplyAvx2(ReadOnlySpan<double> x, Span<double> y, bool accumulate)
    {
        fixed (double* px = x, py = y, pv = Values)
        fixed (int* pc = Columns, ps = RowStart)
        {
            for (int i = 0; i < Rows; i++)
            {
                int p = ps[i], end = ps[i + 1];
                var acc = Vector256<double>.Zero;
                for (; p + 4 <= end; p += 4)
                {
                    var idx = Sse2.LoadVector128(pc + p);
                    var xv = Avx2.GatherVector256(px, idx, 8);
                    acc = Fma.MultiplyAdd(Avx.LoadVector256(pv + p), xv, acc);
                }
                double s = Vector256.Sum(acc);
                for (; p < end; p++) s += pv[p] * px[pc[p]];
                py[i] = accumulate ? py[i] + s : s;
            }
        }
    }
}
