using System.Runtime.CompilerServices;

namespace Recur.Tensors;

/// <summary>
/// A small dense float32 tensor: a shape and contiguous row-major storage.
/// Recurrent data is time-major <c>[T, B, F]</c>; <see cref="TimeStep"/> gives the
/// <c>[B, F]</c> slice of one step without copying.
/// </summary>
public sealed class Tensor
{
    private readonly float[] _data;

    /// <summary>The extents, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int Length { get; }

    public Tensor(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Length = CheckedLength(Shape);
        _data = Length == 0 ? [] : new float[Length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied); its length must equal the shape's product.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Length = CheckedLength(Shape);
        if (data.Length != Length)
            throw new ArgumentException($"data has {data.Length} elements but shape {ShapeString(Shape)} needs {Length}");
        _data = data;
    }

    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>A tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = new Tensor(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"{values.Length} values given for shape {ShapeString(shape)} ({t.Length} elements)");
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>The backing array (length == <see cref="Length"/>).</summary>
    public float[] Data => _data;

    public Span<float> Span => _data.AsSpan();

    public int Rank => Shape.Length;

    public int Dim(int axis) => Shape[axis];

    /// <summary>Elements in one index of <paramref name="axis"/> (product of the extents after it).</summary>
    public int Stride(int axis)
    {
        int s = 1;
        for (int i = Shape.Length - 1; i > axis; i--) s *= Shape[i];
        return s;
    }

    /// <summary>The contiguous <c>[B, F]</c> slice of step <paramref name="t"/> of a time-major <c>[T, B, F]</c> tensor.</summary>
    public Span<float> TimeStep(int t)
    {
        int stepSize = Stride(0);
        if ((uint)t >= (uint)Shape[0])
            throw new ArgumentOutOfRangeException(nameof(t), $"time step {t} outside [0, {Shape[0]})");
        return _data.AsSpan(t * stepSize, stepSize);
    }

    /// <summary>Steps [<paramref name="start"/>, start+count) of a time-major tensor, contiguous.</summary>
    public Span<float> TimeSteps(int start, int count)
    {
        int stepSize = Stride(0);
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"steps [{start}, {start + count}) outside [0, {Shape[0]})");
        return _data.AsSpan(start * stepSize, count * stepSize);
    }

    /// <summary>A view with another shape over the same storage.</summary>
    public Tensor Reshape(params int[] shape)
    {
        if (CheckedLength(shape) != Length)
            throw new ArgumentException($"cannot reshape {ShapeString(Shape)} to {ShapeString(shape)}");
        return new Tensor(_data, shape);
    }

    public float this[int i]
    {
        get => _data[i];
        set => _data[i] = value;
    }

    public float this[int i, int j]
    {
        get => _data[Offset2(i, j)];
        set => _data[Offset2(i, j)] = value;
    }

    public float this[int i, int j, int k]
    {
        get => _data[Offset3(i, j, k)];
        set => _data[Offset3(i, j, k)] = value;
    }

    public Tensor Clone() => new((float[])_data.Clone(), Shape);

    public void Clear() => Array.Clear(_data);

    public bool HasShape(params int[] shape) => Shape.AsSpan().SequenceEqual(shape);

    public override string ToString() => $"Tensor{ShapeString(Shape)}";

    public static string ShapeString(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Throws a clear error naming <paramref name="name"/> when the shape differs.</summary>
    public void EnsureShape(string name, params int[] expected)
    {
        if (!HasShape(expected))
            throw new ArgumentException($"{name}: expected shape {ShapeString(expected)}, got {ShapeString(Shape)}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Offset2(int i, int j)
    {
        if (Shape.Length != 2 || (uint)i >= (uint)Shape[0] || (uint)j >= (uint)Shape[1])
            throw new IndexOutOfRangeException($"index [{i}, {j}] outside {ShapeString(Shape)}");
        return i * Shape[1] + j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Offset3(int i, int j, int k)
    {
        if (Shape.Length != 3 || (uint)i >= (uint)Shape[0] || (uint)j >= (uint)Shape[1] || (uint)k >= (uint)Shape[2])
            throw new IndexOutOfRangeException($"index [{i}, {j}, {k}] outside {ShapeString(Shape)}");
        return (i * Shape[1] + j) * Shape[2] + k;
    }

    private static int CheckedLength(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative extent in shape {ShapeString(shape)}");
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"shape {ShapeString(shape)} is too large");
        }
        return (int)n;
    }
}
