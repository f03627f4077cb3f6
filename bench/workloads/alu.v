// bench/run's Yosys workload: a small ALU with a multiplier, synthesised
// to generic gates (`synth -noabc`): Yosys's own work after its start-up
// (a 68 MB module) and its reads of share/.
module alu(input clk, input rst, input [2:0] op, input [15:0] a, input [15:0] b, output reg [31:0] q);
  always @(posedge clk)
    if (rst) q <= 0;
    else case (op)
      3'd0: q <= a + b;
      3'd1: q <= a - b;
      3'd2: q <= a * b;
      3'd3: q <= {16'd0, a & b};
      3'd4: q <= {16'd0, a | b};
      3'd5: q <= {16'd0, a ^ b};
      3'd6: q <= q + a * b;
      default: q <= {a, b} >> b[3:0];
    endcase
endmodule
