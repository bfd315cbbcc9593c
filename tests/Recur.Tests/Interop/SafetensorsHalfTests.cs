using System.Buffers.Binary;
using System.Text;
using Recur.Interop;

namespace Recur.Tests.Interop;

/// <summary>F16 and BF16 tensors (as Hugging Face checkpoints often hold) are read and converted exactly.</summary>
public sealed class SafetensorsHalfTests
{
    private static byte[] File16(string dtype, ushort[] bits)
    {
        string header = "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + bits.Length + "],\"data_offsets\":[0," + 2 * bits.Length + "]}}";
        var h = Encoding.ASCII.GetBytes(header);
        int pad = (8 - (8 + h.Length) % 8) % 8;
        var bytes = new byte[8 + h.Length + pad + 2 * bits.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(h.Length + pad));
        h.CopyTo(bytes, 8);
        for (int i = 0; i < pad; i++) bytes[8 + h.Length + i] = (byte)' ';
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8 + h.Length + pad + 2 * i), bits[i]);
        return bytes;
    }

    [Fact]
    public void BF16_bit_patterns_convert_exactly()
    {
        // 1.0, −2.0, 0.15625, the largest finite, the smallest subnormal, −0, +inf, NaN
        ushort[] bits = [0x3F80, 0xC000, 0x3E20, 0x7F7F, 0x0001, 0x8000, 0x7F80, 0x7FC0];
        var t = SafetensorsFile.Parse(File16("BF16", bits))["w"];
        Assert.Equal(SafetensorsDType.BF16, t.DType);
        Assert.Equal(2, t.DType.ElementSize());
        var f = t.ToFloat32();
        Assert.Equal(1f, f[0]);
        Assert.Equal(-2f, f[1]);
        Assert.Equal(0.15625f, f[2]);
        Assert.Equal(3.3895314e38f, f[3]);
        Assert.Equal(BitConverter.Int32BitsToSingle(0x00010000), f[4]);
        Assert.True(float.IsNegative(f[5]) && f[5] == 0);
        Assert.Equal(float.PositiveInfinity, f[6]);
        Assert.True(float.IsNaN(f[7]));
        var d = t.ToFloat64();
        for (int i = 0; i < 7; i++) Assert.Equal((double)f[i], d[i]);
    }

    [Fact]
    public void F16_bit_patterns_convert_exactly()
    {
        // 1.0, −2.0, 65504 (largest), 2^-24 (smallest subnormal), 0.333 rounded, −0, −inf
        ushort[] bits = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x8000, 0xFC00];
        var t = SafetensorsFile.Parse(File16("F16", bits))["w"];
        Assert.Equal(SafetensorsDType.F16, t.DType);
        var f = t.ToFloat32();
        Assert.Equal(1f, f[0]);
        Assert.Equal(-2f, f[1]);
        Assert.Equal(65504f, f[2]);
        Assert.Equal(MathF.Pow(2, -24), f[3]);
        Assert.Equal(0.333251953125f, f[4]);
        Assert.True(float.IsNegative(f[5]) && f[5] == 0);
        Assert.Equal(float.NegativeInfinity, f[6]);
        Assert.Equal(65504.0, t.ToFloat64()[2]);
        Assert.Equal([1L, -2L, 65504L], SafetensorsFile.Parse(File16("F16", [0x3C00, 0xC000, 0x7BFF]))["w"].ToInt64());
    }

    [Fact]
    public void Writer_round_trips_F16_and_BF16_with_F32_and_F64_neighbours_aligned()
    {
        var w = new SafetensorsWriter();
        w.Add("h", new Half[] { (Half)0.5f, (Half)(-3f), (Half)1e-3f }, 3);
        w.AddBFloat16("b", new float[] { 1f, 1.00390625f, 1.01171875f, -7.5f, 3.3e38f }, 5);
        w.Add("f", new float[] { 1, 2, 3 }, 3);
        w.Add("d", new double[] { 4, 5 }, 2);
        var ms = new MemoryStream();
        w.Write(ms);
        var file = SafetensorsFile.Read(new MemoryStream(ms.ToArray()));
        Assert.Equal(["d", "f", "h", "b"], file.Names);   // 8-, 4-, then 2-byte elements: every tensor aligned
        Assert.Equal(new float[] { 0.5f, -3f, (float)(Half)1e-3f }, file["h"].ToFloat32());
        // 1.00390625 is halfway between two bfloat16 values and rounds to even (1.0); 1.01171875 rounds up to 1.015625.
        Assert.Equal(new float[] { 1f, 1f, 1.015625f, -7.5f, BitConverter.Int32BitsToSingle(0x7F78 << 16) }, file["b"].ToFloat32());
        Assert.Equal(new float[] { 1, 2, 3 }, file["f"].ToFloat32());
    }

    [Fact]
    public void Odd_byte_count_for_a_16_bit_dtype_is_a_clear_error()
    {
        string header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,3]}}";
        var h = Encoding.ASCII.GetBytes(header);
        int pad = (8 - (8 + h.Length) % 8) % 8;
        var bytes = new byte[8 + h.Length + pad + 3];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(h.Length + pad));
        h.CopyTo(bytes, 8);
        for (int i = 0; i < pad; i++) bytes[8 + h.Length + i] = (byte)' ';
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "half.safetensors"));
        Assert.Contains("needs 4 bytes", e.Message);
        Assert.Contains("'w'", e.Message);
    }
}
