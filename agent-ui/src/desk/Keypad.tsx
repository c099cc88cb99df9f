const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const LETTERS: Record<string, string> = { '2': 'ABC', '3': 'DEF', '4': 'GHI', '5': 'JKL', '6': 'MNO', '7': 'PQRS', '8': 'TUV', '9': 'WXYZ', '0': '+' };

/** A phone keypad: click or type; each key is a button the keyboard reaches with Tab. */
export function Keypad({ onKey, disabled = false }: { onKey: (key: string) => void; disabled?: boolean }): React.JSX.Element {
  return (
    <div className="keypad" data-testid="keypad">
      {KEYS.map((k) => (
        <button key={k} type="button" className="keypad-key" data-testid={`key-${k}`} disabled={disabled} onClick={() => onKey(k)}>
          <span className="keypad-digit">{k}</span>
          <span className="keypad-letters">{LETTERS[k] ?? '\u00a0'}</span>
        </button>
      ))}
    </div>
  );
}
