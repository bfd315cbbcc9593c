using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.Tensors;

namespace Recur.Interop;

/// <summary>Element types Recur reads and writes in safetensors files.</summary>
public enum SafetensorsDType
{
    F32,
    F64,
    I64,
    /// <summary>IEEE half precision; read (converted exactly to float32/float64), written.</summary>
    F16,
    /// <summary>bfloat16 (the top 16 bits of a float32); read (converted exactly), written.</summary>
    BF16,
}

public static class SafetensorsDTypes
{
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The header spelling (<c>"F32"</c>).</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F64 => "F64",
        SafetensorsDType.I64 => "I64",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.BF16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Parses a header dtype; false for any dtype Recur does not support (I32, F8_E4M3, …).</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F64": dtype = SafetensorsDType.F64; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            default: dtype = default; return false;
        }
    }
}

/// <summary>One named tensor of a safetensors file: dtype, shape and its raw little-endian bytes.</summary>
public sealed class SafetensorsTensor
{
    private readonly ReadOnlyMemory<byte> _bytes;

    internal SafetensorsTensor(string name, SafetensorsDType dtype, int[] shape, ReadOnlyMemory<byte> bytes)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        _bytes = bytes;
        ElementCount = bytes.Length / dtype.ElementSize();
    }

    public string Name { get; }
    public SafetensorsDType DType { get; }
    /// <summary>The extents, outermost first (empty for a scalar).</summary>
    public int[] Shape { get; }
    public int ElementCount { get; }
    /// <summary>The raw little-endian, row-major bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.Span;

    /// <summary>bfloat16 bits → float32 (exact: the bits are the top half of a float32).</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float32 → bfloat16 bits, rounded to nearest even (NaN stays a quiet NaN).</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((u >> 16) | 0x40);
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }

    private float Half(ReadOnlySpan<byte> src, int i) => DType == SafetensorsDType.F16
        ? (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]))
        : BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));

    /// <summary>The values as float32: F64 rounded to nearest, F16 and BF16 converted exactly, I64 converted.</summary>
    public float[] ToFloat32()
    {
        var result = new float[ElementCount];
        var src = _bytes.Span;
        switch (DType)
        {
            case SafetensorsDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(result);
                else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case SafetensorsDType.I64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case SafetensorsDType.F16 or SafetensorsDType.BF16:
                for (int i = 0; i < result.Length; i++) result[i] = Half(src, i);
                break;
        }
        return result;
    }

    /// <summary>The values as float64 (F32, F16, BF16 widened exactly, I64 converted).</summary>
    public double[] ToFloat64()
    {
        var result = new double[ElementCount];
        var src = _bytes.Span;
        switch (DType)
        {
            case SafetensorsDType.F32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case SafetensorsDType.F64:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(src).CopyTo(result);
                else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case SafetensorsDType.I64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case SafetensorsDType.F16 or SafetensorsDType.BF16:
                for (int i = 0; i < result.Length; i++) result[i] = Half(src, i);
                break;
        }
        return result;
    }

    /// <summary>The values as int64: I64 exactly; F32/F64 only when every value is an integer in range.</summary>
    public long[] ToInt64()
    {
        var result = new long[ElementCount];
        var src = _bytes.Span;
        if (DType == SafetensorsDType.I64)
        {
            for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
            return result;
        }
        var values = ToFloat64();
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (v != Math.Floor(v) || v < -9.2233720368547758e18 || v >= 9.2233720368547758e18)
                throw new InvalidDataException($"tensor '{Name}' ({DType.HeaderName()}): element {i} = {v} is not an integer");
            result[i] = (long)v;
        }
        return result;
    }

    /// <summary>A float32 <see cref="Tensor"/> of this shape (see <see cref="ToFloat32"/>).</summary>
    public Tensor ToTensor() => new(ToFloat32(), Shape);

    public override string ToString() => $"{Name} {DType.HeaderName()} {Tensor.ShapeString(Shape)}";
}

/// <summary>
/// A safetensors file read into memory and fully validated: header length against the file size,
/// JSON header, dtypes (F32, F64, I64; F16 and BF16 converted on access), shape × element size = byte length, offsets inside the data
/// block, no overlaps or holes, and the <c>__metadata__</c> string map. Every problem is an
/// <see cref="InvalidDataException"/> with one clear message.
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>Largest header accepted (as the reference implementation: 100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly Dictionary<string, SafetensorsTensor> _byName;

    private SafetensorsFile(List<SafetensorsTensor> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The tensors in the order of their data (by offset).</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGet(string name, out SafetensorsTensor tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>The tensor called <paramref name="name"/>; a missing name is an <see cref="ArgumentException"/> naming it.</summary>
    public SafetensorsTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new ArgumentException($"no tensor '{name}' in this safetensors file");

    public static SafetensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/> in one pass: the 8-byte length and the header
    /// first (checked against the stream's length before anything else is read), then the data block straight
    /// into one buffer that the tensors share (no second read, no copy).
    /// </summary>
    public static SafetensorsFile Read(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string src = Source(sourceName);
        long? total = stream.CanSeek ? stream.Length - stream.Position : null;
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw new InvalidDataException($"{src}: {got} bytes is too short for a safetensors file (needs at least the 8-byte header length)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (total is long size) CheckHeaderLength(src, headerLength, size);
        else if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"{src}: header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        var header = new byte[(int)Math.Min(headerLength, MaxHeaderLength)];
        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < header.Length)
            throw new InvalidDataException($"{src}: header length {headerLength} exceeds the file size ({8 + read} bytes, at most {read} after the 8-byte length): truncated or not a safetensors file");
        if (headerLength < 2)
            throw new InvalidDataException($"{src}: header length {headerLength} is too short for a JSON header");

        ReadOnlyMemory<byte> data;
        if (total is long all)
        {
            long dataLength = all - 8 - header.Length;
            if (dataLength > Array.MaxLength)
                throw new InvalidDataException($"{src}: a data block of {dataLength} bytes is too large to read into memory");
            var block = new byte[dataLength];
            stream.ReadExactly(block);
            data = block;
        }
        else
        {
            var ms = new MemoryStream();
            stream.CopyTo(ms);
            data = new ReadOnlyMemory<byte>(ms.GetBuffer(), 0, (int)ms.Length);
        }
        return Build(src, header, data);
    }

    /// <summary>Only the <c>__metadata__</c> map of a file: reads the 8-byte length and the header, not the data
    /// (to tell what a file is before loading it). The tensors are not validated here; <see cref="Read(string)"/> does that.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string src = Source(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw new InvalidDataException($"{src}: {got} bytes is too short for a safetensors file (needs at least the 8-byte header length)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        CheckHeaderLength(src, headerLength, stream.Length);
        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(new UTF8Encoding(false, true).GetString(header));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{src}: the header must be a JSON object, got {doc.RootElement.ValueKind}");
            if (doc.RootElement.TryGetProperty("__metadata__", out var m)) ReadMetadata(src, m, metadata);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{src}: the header is not valid UTF-8 JSON: {e.Message}", e);
        }
        return metadata;
    }

    /// <summary>Parses a whole file held in memory (not copied: the tensors refer to <paramref name="bytes"/>).</summary>
    public static SafetensorsFile Parse(byte[] bytes, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string src = Source(sourceName);
        if (bytes.Length < 8)
            throw new InvalidDataException($"{src}: {bytes.Length} bytes is too short for a safetensors file (needs at least the 8-byte header length)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        CheckHeaderLength(src, headerLength, bytes.Length);
        int n = (int)headerLength;
        return Build(src, bytes.AsSpan(8, n), new ReadOnlyMemory<byte>(bytes, 8 + n, bytes.Length - 8 - n));
    }

    private static void CheckHeaderLength(string src, ulong headerLength, long fileLength)
    {
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{src}: header length {headerLength} exceeds the file size ({fileLength} bytes, at most {fileLength - 8} after the 8-byte length): truncated or not a safetensors file");
        if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"{src}: header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        if (headerLength < 2)
            throw new InvalidDataException($"{src}: header length {headerLength} is too short for a JSON header");
    }

    /// <summary>Validates the JSON header against the data block and wraps the tensors (views of <paramref name="data"/>).</summary>
    private static SafetensorsFile Build(string src, ReadOnlySpan<byte> headerBytes, ReadOnlyMemory<byte> data)
    {
        long dataLength = data.Length;
        JsonDocument doc;
        try
        {
            string json = new UTF8Encoding(false, true).GetString(headerBytes);
            doc = JsonDocument.Parse(json);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{src}: the header is not valid UTF-8 JSON: {e.Message}", e);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{src}: the header must be a JSON object, got {doc.RootElement.ValueKind}");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new InvalidDataException($"{src}: the header names '{prop.Name}' twice");
                if (prop.Name == "__metadata__")
                {
                    ReadMetadata(src, prop.Value, metadata);
                    continue;
                }
                entries.Add(ReadEntry(src, prop.Name, prop.Value, dataLength));
            }
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < expected)
                throw new InvalidDataException($"{src}: tensor '{e.Name}' (bytes [{e.Begin}, {e.End})) overlaps tensor '{previous}' (which ends at {expected})");
            if (e.Begin > expected)
                throw new InvalidDataException($"{src}: hole in the data block: bytes [{expected}, {e.Begin}) before tensor '{e.Name}' belong to no tensor");
            expected = e.End;
            previous = e.Name;
        }
        if (expected != dataLength)
            throw new InvalidDataException($"{src}: the data block has {dataLength} bytes but the tensors cover {expected}: {dataLength - expected} trailing bytes belong to no tensor");

        var tensors = new List<SafetensorsTensor>(entries.Count);
        foreach (var e in entries)
            tensors.Add(new SafetensorsTensor(e.Name, e.DType, e.Shape, data.Slice((int)e.Begin, (int)(e.End - e.Begin))));
        return new SafetensorsFile(tensors, metadata);
    }

    private static string Source(string? sourceName) => sourceName is null ? "safetensors" : $"safetensors file '{sourceName}'";

    private static void ReadMetadata(string src, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{src}: __metadata__ must be an object of strings, got {value.ValueKind}");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{src}: __metadata__ value '{m.Name}' must be a string, got {m.Value.ValueKind}");
            if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                throw new InvalidDataException($"{src}: __metadata__ names '{m.Name}' twice");
        }
    }

    private static (string, SafetensorsDType, int[], long, long) ReadEntry(string src, string name, JsonElement value, long dataLength)
    {
        string what = $"{src}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{what}: expected an object with dtype, shape and data_offsets, got {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{what}: missing or non-string 'dtype'");
        string dtypeName = dtypeEl.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw new InvalidDataException($"{what}: dtype '{dtypeName}' is not supported (supported: F32, F64, I64, F16, BF16)");

        if (!value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{what}: missing or non-array 'shape'");
        var shape = new int[shapeEl.GetArrayLength()];
        long count = 1;
        int axis = 0;
        bool overflow = false;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long extent) || extent < 0)
                throw new InvalidDataException($"{what}: shape {shapeEl.GetRawText()} has an entry that is not a non-negative integer");
            if (extent > int.MaxValue)
                throw new InvalidDataException($"{what}: shape {shapeEl.GetRawText()} has an extent over {int.MaxValue}");
            shape[axis++] = (int)extent;
            if (!overflow)
            {
                try { count = checked(count * extent); }
                catch (OverflowException) { overflow = true; }
            }
        }
        if (count == 0) overflow = false; // a zero extent makes the product 0 whatever the others

        if (!value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"{what}: 'data_offsets' must be an array [begin, end]");
        long begin = ReadOffset(what, offEl[0]);
        long end = ReadOffset(what, offEl[1]);
        if (end < begin)
            throw new InvalidDataException($"{what}: data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength)
            throw new InvalidDataException($"{what}: data_offsets [{begin}, {end}] run past the end of the data block ({dataLength} bytes): truncated file?");
        long size = dtype.ElementSize();
        if (overflow || count > Array.MaxLength || count * size != end - begin)
            throw new InvalidDataException($"{what}: shape {Tensor.ShapeString(shape)} of {dtypeName} needs {(overflow ? "more than 2^63" : (count * size).ToString())} bytes but data_offsets [{begin}, {end}] hold {end - begin}");
        return (name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string what, JsonElement el)
    {
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetInt64(out long v) || v < 0)
            throw new InvalidDataException($"{what}: data_offsets entry {el.GetRawText()} is not a non-negative integer");
        return v;
    }
}

/// <summary>
/// Builds a safetensors file: F32, F64, I64, F16 and BF16 tensors plus a string metadata map. The header is
/// padded with spaces to a multiple of 8 bytes and the 8-byte tensors come first, so every tensor is
/// aligned to its element size. <see cref="Save"/> is atomic: it writes <c>NAME.tmp</c>, flushes it to
/// disk and renames it over <c>NAME</c>.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, SafetensorsDType DType, int[] Shape, byte[] Bytes)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> map written into the header.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _tensors.Count;

    public SafetensorsWriter Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Add(name, tensor.Span, tensor.Shape);
    }

    public SafetensorsWriter Add(string name, ReadOnlySpan<float> values, params int[] shape)
        => AddRaw(name, SafetensorsDType.F32, shape, values.Length, MemoryMarshal.AsBytes(values), 4);

    public SafetensorsWriter Add(string name, ReadOnlySpan<double> values, params int[] shape)
        => AddRaw(name, SafetensorsDType.F64, shape, values.Length, MemoryMarshal.AsBytes(values), 8);

    public SafetensorsWriter Add(string name, ReadOnlySpan<long> values, params int[] shape)
        => AddRaw(name, SafetensorsDType.I64, shape, values.Length, MemoryMarshal.AsBytes(values), 8);

    public SafetensorsWriter Add(string name, ReadOnlySpan<Half> values, params int[] shape)
        => AddRaw(name, SafetensorsDType.F16, shape, values.Length, MemoryMarshal.AsBytes(values), 2);

    /// <summary>Adds float32 values stored as BF16 (rounded to nearest even).</summary>
    public SafetensorsWriter AddBFloat16(string name, ReadOnlySpan<float> values, params int[] shape)
    {
        var bits = new ushort[values.Length];
        for (int i = 0; i < bits.Length; i++) bits[i] = SafetensorsTensor.SingleToBFloat16(values[i]);
        return AddRaw(name, SafetensorsDType.BF16, shape, values.Length, MemoryMarshal.AsBytes(bits.AsSpan()), 2);
    }

    private SafetensorsWriter AddRaw(string name, SafetensorsDType dtype, int[] shape, int count, ReadOnlySpan<byte> bytes, int size)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0) throw new ArgumentException("a tensor name must not be empty");
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
        if (_names.Contains(name)) throw new ArgumentException($"tensor '{name}' is added twice");
        long expected = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative extent in shape {Tensor.ShapeString(shape)}");
            expected *= d;
            if (expected > Array.MaxLength) throw new ArgumentException($"tensor '{name}': shape {Tensor.ShapeString(shape)} is too large");
        }
        if (expected != count)
            throw new ArgumentException($"tensor '{name}': {count} values given for shape {Tensor.ShapeString(shape)} ({expected} elements)");
        var copy = bytes.ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < copy.Length; i += size) Array.Reverse(copy, i, size);
        _names.Add(name);
        _tensors.Add((name, dtype, (int[])shape.Clone(), copy));
        return this;
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Larger elements first (8, 4, 2 bytes; stable: insertion order within a size), so that each begins aligned.
        var order = Enumerable.Range(0, _tensors.Count)
            .OrderByDescending(i => _tensors[i].DType.ElementSize())
            .ThenBy(i => i)
            .ToArray();

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (Metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in Metadata)
                {
                    ArgumentNullException.ThrowIfNull(v, $"metadata '{k}'");
                    w.WriteString(k, v);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (int i in order)
            {
                var t = _tensors[i];
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.HeaderName());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Bytes.Length;
            }
            w.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = headerLength + (8 - (8 + headerLength) % 8) % 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(json.GetBuffer(), 0, headerLength);
        for (int i = headerLength; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (int i in order) stream.Write(_tensors[i].Bytes);
    }

    /// <summary>Atomically writes the file to <paramref name="path"/>: <c>path.tmp</c>, flush to disk, rename.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
