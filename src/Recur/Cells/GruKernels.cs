using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Recur.Kernels;

namespace Recur.Cells;

/// <summary>
/// Fused per-step GRU kernels (PyTorch gate order r, z, n). Rows past their sequence length
/// (t ≥ lengths[b]) keep h and get no gradient; the caller handles h for those rows.
/// </summary>
internal static class GruKernels
{
    /// <summary>
    /// Reset-after (PyTorch): r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r⊙h_n),
    /// h = (1−z)⊙n + z⊙h₋, where x = x W_ihᵀ + b_ih (<paramref name="gates"/>, in place → r, z, n)
    /// and h_ = h₋ W_hhᵀ + b_hh (<paramref name="hh"/> [B, 3H], kept for backward).
    /// </summary>
    public static void ForwardResetAfter(int batch, int hidden, Span<float> gates, ReadOnlySpan<float> hh,
        ReadOnlySpan<float> hPrev, Span<float> h, int t, ReadOnlySpan<int> lengths)
    {
        int H = hidden, n3 = 3 * hidden, w = Vector<float>.Count;
        // The vector loop reads and writes without bounds checks: check every buffer once here.
        if (gates.Length < batch * n3 || hh.Length < batch * n3 || hPrev.Length < batch * H || h.Length < batch * H)
            throw new ArgumentException($"GRU forward kernel: batch {batch}, H = {H}: a buffer is too short");
        // A partial last vector goes through the same vector code, padded with zeros in this scratch.
        Span<float> tail = H % w != 0 ? stackalloc float[7 * w] : default;
        for (int b = 0; b < batch; b++)
        {
            var hp = hPrev.Slice(b * H, H);
            var hr = h.Slice(b * H, H);
            if (!lengths.IsEmpty && t >= lengths[b]) { hp.CopyTo(hr); continue; }
            var g = gates.Slice(b * n3, n3);
            var hrow = hh.Slice(b * n3, n3);
            // One fused pass per row; offsets j, H + j, 2H + j with j + w ≤ H (buffers checked above).
            ref float rg = ref MemoryMarshal.GetReference(g), rhh = ref MemoryMarshal.GetReference(hrow);
            ref float rhp = ref MemoryMarshal.GetReference(hp), rh = ref MemoryMarshal.GetReference(hr);
            nuint uh = (nuint)H;
            int j = 0;
            for (; j <= H - w; j += w)
            {
                nuint u = (nuint)j;
                ResetAfterCell(Vector.LoadUnsafe(ref rg, u), Vector.LoadUnsafe(ref rg, uh + u), Vector.LoadUnsafe(ref rg, 2 * uh + u),
                    Vector.LoadUnsafe(ref rhh, u), Vector.LoadUnsafe(ref rhh, uh + u), Vector.LoadUnsafe(ref rhh, 2 * uh + u),
                    Vector.LoadUnsafe(ref rhp, u), out var r, out var z, out var nv, out var hv);
                r.StoreUnsafe(ref rg, u); z.StoreUnsafe(ref rg, uh + u); nv.StoreUnsafe(ref rg, 2 * uh + u);
                hv.StoreUnsafe(ref rh, u);
            }
            if (j < H)
            {
                int rest = H - j;
                tail.Clear();
                // scratch lanes: x_r, x_z, x_n, h_r, h_z, h_n, h₋
                for (int q = 0; q < 3; q++)
                {
                    g.Slice(q * H + j, rest).CopyTo(tail.Slice(q * w));
                    hrow.Slice(q * H + j, rest).CopyTo(tail.Slice((3 + q) * w));
                }
                hp.Slice(j, rest).CopyTo(tail.Slice(6 * w));
                ResetAfterCell(new Vector<float>(tail), new Vector<float>(tail.Slice(w)), new Vector<float>(tail.Slice(2 * w)),
                    new Vector<float>(tail.Slice(3 * w)), new Vector<float>(tail.Slice(4 * w)), new Vector<float>(tail.Slice(5 * w)),
                    new Vector<float>(tail.Slice(6 * w)), out var r, out var z, out var nv, out var hv);
                ReadOnlySpan<Vector<float>> outs = [r, z, nv];
                for (int q = 0; q < 3; q++) { outs[q].CopyTo(tail); tail[..rest].CopyTo(g.Slice(q * H + j)); }
                hv.CopyTo(tail); tail[..rest].CopyTo(hr.Slice(j));
            }
        }
    }

    /// <summary>One vector of units: r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r⊙h_n), h = n + z⊙(h₋ − n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ResetAfterCell(Vector<float> xr, Vector<float> xz, Vector<float> xn, Vector<float> hr, Vector<float> hz,
        Vector<float> hn, Vector<float> hPrev, out Vector<float> r, out Vector<float> z, out Vector<float> n, out Vector<float> h)
    {
        r = VectorMath.Sigmoid(xr + hr);
        z = VectorMath.Sigmoid(xz + hz);
        n = VectorMath.Tanh(Vector.FusedMultiplyAdd(r, hn, xn));
        h = Vector.FusedMultiplyAdd(z, hPrev - n, n);
    }

    /// <summary>
    /// Backward of reset-after. From dh = ∂L/∂h_t: dn = dh⊙(1−z), dz = dh⊙(h₋−n), dA_n = dn⊙(1−n²),
    /// dA_r = dA_n⊙h_n⊙r(1−r), dA_z = dz⊙z(1−z). Writes dX = [dA_r, dA_z, dA_n] (gradient of x W_ihᵀ + b_ih),
    /// dHh = [dA_r, dA_z, dA_n⊙r] (gradient of h₋ W_hhᵀ + b_hh) and dhPrev = dh⊙z (the direct path; the caller adds dHh W_hh).
    /// Invalid rows: dX = dHh = 0, dhPrev = dh.
    /// </summary>
    public static void BackwardResetAfter(int batch, int hidden, ReadOnlySpan<float> gates, ReadOnlySpan<float> hh,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh, Span<float> dX, Span<float> dHh, Span<float> dhPrev,
        int t, ReadOnlySpan<int> lengths)
    {
        int H = hidden, n3 = 3 * hidden, w = Vector<float>.Count;
        // The vector loop reads and writes without bounds checks: check every buffer once here.
        if (gates.Length < batch * n3 || hh.Length < batch * n3 || dX.Length < batch * n3 || dHh.Length < batch * n3
            || hPrev.Length < batch * H || dh.Length < batch * H || dhPrev.Length < batch * H)
            throw new ArgumentException($"GRU backward kernel: batch {batch}, H = {H}: a buffer is too short");
        var one = Vector<float>.One;
        for (int b = 0; b < batch; b++)
        {
            var dxr = dX.Slice(b * n3, n3);
            var dhhr = dHh.Slice(b * n3, n3);
            var dhr = dh.Slice(b * H, H);
            var dhp = dhPrev.Slice(b * H, H);
            if (!lengths.IsEmpty && t >= lengths[b]) { dxr.Clear(); dhhr.Clear(); dhr.CopyTo(dhp); continue; }
            var g = gates.Slice(b * n3, n3);
            var hrow = hh.Slice(b * n3, n3);
            var hp = hPrev.Slice(b * H, H);
            // Element offsets j, H + j, 2H + j of the row, j + w ≤ H (buffers checked above).
            ref float rg = ref MemoryMarshal.GetReference(g), rhh = ref MemoryMarshal.GetReference(hrow);
            ref float rhp = ref MemoryMarshal.GetReference(hp), rdh = ref MemoryMarshal.GetReference(dhr);
            ref float rdx = ref MemoryMarshal.GetReference(dxr), rdhh = ref MemoryMarshal.GetReference(dhhr);
            ref float rdhp = ref MemoryMarshal.GetReference(dhp);
            nuint uh = (nuint)H;
            int j = 0;
            for (; j <= H - w; j += w)
            {
                nuint u = (nuint)j;
                var r = Vector.LoadUnsafe(ref rg, u); var z = Vector.LoadUnsafe(ref rg, uh + u); var nv = Vector.LoadUnsafe(ref rg, 2 * uh + u);
                var d = Vector.LoadUnsafe(ref rdh, u);
                var dAn = d * (one - z) * (one - nv * nv);
                var dAz = d * (Vector.LoadUnsafe(ref rhp, u) - nv) * z * (one - z);
                var dAr = dAn * Vector.LoadUnsafe(ref rhh, 2 * uh + u) * r * (one - r);
                dAr.StoreUnsafe(ref rdx, u); dAz.StoreUnsafe(ref rdx, uh + u); dAn.StoreUnsafe(ref rdx, 2 * uh + u);
                dAr.StoreUnsafe(ref rdhh, u); dAz.StoreUnsafe(ref rdhh, uh + u); (dAn * r).StoreUnsafe(ref rdhh, 2 * uh + u);
                (d * z).StoreUnsafe(ref rdhp, u);
            }
            for (; j < H; j++)
            {
                float r = g[j], z = g[H + j], n = g[2 * H + j], d = dhr[j];
                float dAn = d * (1f - z) * (1f - n * n);
                float dAz = d * (hp[j] - n) * z * (1f - z);
                float dAr = dAn * hrow[2 * H + j] * r * (1f - r);
                dxr[j] = dAr; dxr[H + j] = dAz; dxr[2 * H + j] = dAn;
                dhhr[j] = dAr; dhhr[H + j] = dAz; dhhr[2 * H + j] = dAn * r;
                dhp[j] = d * z;
            }
        }
    }

    /// <summary>Reset-before, first half: r, z = σ(x_r,z + h₋ W_hr,zᵀ) (already summed into <paramref name="gates"/>),
    /// then rh = r⊙h₋ for the second recurrent product.</summary>
    public static void ForwardResetBeforeGates(int batch, int hidden, Span<float> gates, ReadOnlySpan<float> hPrev, Span<float> rh)
    {
        int n3 = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            var rz = gates.Slice(b * n3, 2 * hidden);
            VectorMath.Sigmoid(rz, rz);
            TensorPrimitives.Multiply(rz.Slice(0, hidden), hPrev.Slice(b * hidden, hidden), rh.Slice(b * hidden, hidden));
        }
    }

    /// <summary>Reset-before, second half: n = tanh(x_n + (r⊙h₋) W_hnᵀ) (already summed), h = (1−z)⊙n + z⊙h₋.</summary>
    public static void ForwardResetBeforeOutput(int batch, int hidden, Span<float> gates, ReadOnlySpan<float> hPrev,
        Span<float> h, int t, ReadOnlySpan<int> lengths)
    {
        int n3 = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            var hp = hPrev.Slice(b * hidden, hidden);
            var hr = h.Slice(b * hidden, hidden);
            if (!lengths.IsEmpty && t >= lengths[b]) { hp.CopyTo(hr); continue; }
            var z = gates.Slice(b * n3 + hidden, hidden);
            var n = gates.Slice(b * n3 + 2 * hidden, hidden);
            VectorMath.Tanh(n, n);
            TensorPrimitives.Subtract(hp, n, hr);
            TensorPrimitives.FusedMultiplyAdd(z, hr, n, hr);
        }
    }

    /// <summary>Reset-before backward, first half: dA_n = dh⊙(1−z)⊙(1−n²), dA_z = dh⊙(h₋−n)⊙z(1−z),
    /// dhPrev = dh⊙z. Invalid rows: dA = 0, dhPrev = dh.</summary>
    public static void BackwardResetBeforeOutput(int batch, int hidden, ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> dh, Span<float> dA, Span<float> dhPrev, int t, ReadOnlySpan<int> lengths)
    {
        int H = hidden, n3 = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            var da = dA.Slice(b * n3, n3);
            var dhr = dh.Slice(b * H, H);
            var dhp = dhPrev.Slice(b * H, H);
            if (!lengths.IsEmpty && t >= lengths[b]) { da.Clear(); dhr.CopyTo(dhp); continue; }
            var g = gates.Slice(b * n3, n3);
            var hp = hPrev.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float z = g[H + j], n = g[2 * H + j], d = dhr[j];
                da[2 * H + j] = d * (1f - z) * (1f - n * n);
                da[H + j] = d * (hp[j] - n) * z * (1f - z);
                dhp[j] = d * z;
            }
        }
    }

    /// <summary>Reset-before backward, second half: given d(rh) = dA_n W_hn, dA_r = d(rh)⊙h₋⊙r(1−r) and
    /// dhPrev += d(rh)⊙r. Invalid rows are left as they are (dA_r = 0 already).</summary>
    public static void BackwardResetBeforeGates(int batch, int hidden, ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> dRh, Span<float> dA, Span<float> dhPrev, int t, ReadOnlySpan<int> lengths)
    {
        int H = hidden, n3 = 3 * hidden;
        for (int b = 0; b < batch; b++)
        {
            if (!lengths.IsEmpty && t >= lengths[b]) continue;
            var g = gates.Slice(b * n3, n3);
            var hp = hPrev.Slice(b * H, H);
            var drh = dRh.Slice(b * H, H);
            var da = dA.Slice(b * n3, n3);
            var dhp = dhPrev.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float r = g[j];
                da[j] = drh[j] * hp[j] * r * (1f - r);
                dhp[j] += drh[j] * r;
            }
        }
    }
}
